/** The documentation that is generated from code stays in step with it. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { CLI_DOC, renderCliReference } from '../../cli/docs';
import { buildProgram } from '../../cli/program';

describe('docs/cli.md', () => {
  it('is what `npm run docs:cli` renders from the command definitions (run it after changing a command)', () => {
    assert.equal(readFileSync(CLI_DOC, 'utf8'), renderCliReference());
  });

  it('names every command, and marks required options and arguments as required', () => {
    const text = renderCliReference();
    for (const cmd of buildProgram().commands) assert.match(text, new RegExp(`## \`tourniquet ${cmd.name()}[ \`]`), cmd.name());
    assert.match(text, /\| `--by <name>` \| \*\*required\*\* who approves \|/);
    assert.match(text, /\| `id` \| \*\*required\*\* incident id \|/);
  });
});
