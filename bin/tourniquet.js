#!/usr/bin/env node
// Runs the compiled CLI (dist/cli.js, built by `npm install` or `npm run build`) while it
// matches the sources; after an edit or a pull, the sources themselves through tsx's loader,
// slower to start, and says so once on stderr.
import { fileURLToPath, pathToFileURL } from 'node:url';
import { freshCli } from './fresh.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const compiled = freshCli(root);
if (compiled.path) {
  await import(pathToFileURL(compiled.path).href);
} else {
  process.stderr.write(`tourniquet: running from the TypeScript sources (${compiled.why}; \`npm run build\` makes it start faster)\n`);
  const { register } = await import('tsx/esm/api');
  register();
  await import('../cli/index.ts');
}
