#!/usr/bin/env node
// Runs the compiled CLI (dist/cli.js, built by `npm install` or `npm run build`) while it
// matches the sources; after an edit or a pull, the sources themselves through tsx's loader,
// slower to start, and says so once on stderr.
import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { freshCli } from './fresh.js';

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  // The version alone is package.json's (the CLI's own --version says the same): answered
  // before any of the CLI loads, compiled or not.
  process.stdout.write(`${JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version}\n`);
} else {
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
}
