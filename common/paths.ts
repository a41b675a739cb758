import { fileURLToPath } from 'node:url';

/** The project's root folder (where package.json is), wherever the process was started. */
export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Where a project-local Temporal CLI is installed when none is found. */
export const TOOLS_DIR = fileURLToPath(new URL('../.tools', import.meta.url));

export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

/** The workflow bundle built ahead of time (`npm install` builds it; `npm run build` rebuilds it). */
export const WORKFLOW_BUNDLE_PATH = fileURLToPath(new URL('../dist/workflows.bundle.js', import.meta.url));

/** The project-local OpenClaw install (`npm run setup:openclaw`): its Node 24 and its CLI entry. */
export const OPENCLAW_NODE = fileURLToPath(new URL('../.tools/openclaw/bin/node', import.meta.url));
export const OPENCLAW_ENTRY = fileURLToPath(new URL('../.tools/openclaw/app/node_modules/openclaw/openclaw.mjs', import.meta.url));
