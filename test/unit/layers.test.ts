/** The layer rule itself: a wrong-way import fails lint, a downward one passes. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import layers from '../../eslint/layers.js';

// The project's rule alone, without type information (the probe files do not exist on disk).
const eslint = new ESLint({
  cwd: new URL('../..', import.meta.url).pathname,
  overrideConfigFile: true,
  overrideConfig: [
    { files: ['**/*.ts'], languageOptions: { parser: tseslint.parser }, plugins: { tourniquet: layers }, rules: { 'tourniquet/layers': 'error' } },
  ],
});

async function layerErrors(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: new URL(`../../${file}`, import.meta.url).pathname });
  return result!.messages.filter((m) => m.ruleId === 'tourniquet/layers').map((m) => m.message);
}

describe('imports point down the layers', () => {
  it('refuses an upward import, and names both folders', async () => {
    const errors = await layerErrors('common/probe.ts', "import { getProgress } from '../client/incidents';\nexport const x = getProgress;\n");
    assert.equal(errors.length, 1);
    assert.match(errors[0]!, /^common\/ may not import from client\//);
  });

  it('refuses a sibling import between runtime roles (activities → compiler)', async () => {
    const errors = await layerErrors('activities/probe.ts', "import { loadInventory } from '../compiler';\nexport const x = loadInventory;\n");
    assert.match(errors[0] ?? '', /^activities\/ may not import from compiler\//);
  });

  it('lets workflows read activity types only', async () => {
    assert.deepEqual(
      await layerErrors('workflows/probe.ts', "import type { createActivities } from '../activities';\nexport type A = typeof createActivities;\n"),
      [],
    );
    const value = await layerErrors('workflows/probe.ts', "import { createActivities } from '../activities';\nexport const a = createActivities;\n");
    assert.equal(value.length, 1);
  });

  it('accepts a downward import', async () => {
    assert.deepEqual(await layerErrors('cli/probe.ts', "import { getProgress } from '../client/incidents';\nexport const x = getProgress;\n"), []);
  });
});
