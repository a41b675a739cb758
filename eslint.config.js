// Lint rules that guard what the type checker cannot: floating promises everywhere, and the
// Temporal sandbox boundary in workflows/ (no Node built-ins, no side-effect libraries).
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';
import layers from './eslint/layers.js';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

const sandboxPaths = [
  ...nodeBuiltins.map((name) => ({ name, message: "Workflow code runs in Temporal's sandbox: no Node built-ins. Do this in an activity." })),
  ...['execa', 'pino', '@temporalio/worker', '@temporalio/client', '@temporalio/activity'].map((name) => ({
    name,
    message: 'Workflow code must stay deterministic: side effects belong in activities.',
  })),
];
const sandboxPatterns = [
  {
    group: ['../activities', '../activities/*', '../common/*', '../server/*', '../worker/*', '../cli/*'],
    allowTypeImports: true,
    message: 'Workflows import only types from outside workflows/.',
  },
];

export default tseslint.config(
  { ignores: ['node_modules/**', '.tools/**', '.tourniquet/**', 'dist/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // "Forgetting to await activities and workflow APIs is bad" (Temporal's samples).
      '@typescript-eslint/no-floating-promises': [
        'error',
        // node:test's describe/it return promises the runner itself awaits.
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'before', 'after'] }] },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', ignoreRestSiblings: true }],
    },
  },
  {
    files: ['**/*.ts'],
    plugins: { tourniquet: layers },
    rules: { 'tourniquet/layers': 'error' },
  },
  {
    files: ['workflows/**/*.ts', 'contract/**/*.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { paths: sandboxPaths, patterns: sandboxPatterns }] },
  },
  {
    // Every module a workflow imports is evaluated again for each new incident and kept by each
    // cached one: the schema library costs milliseconds and megabytes there. Workflows take
    // types from the zod modules of contract/, and values only from its zod-free ones.
    files: ['workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [...sandboxPaths, { name: 'zod', message: 'No zod in the workflow sandbox: validate at the edge or in an activity.' }],
          patterns: [
            ...sandboxPatterns,
            {
              regex: '^\\.\\./contract(/(index|input|actions|payloads|parallel-schema))?$',
              allowTypeImports: true,
              message:
                'These contract modules build zod schemas: import their types only, and values from the zod-free modules (catalogue, checks, definitions, severity, identity, rules, parallel, progress).',
            },
          ],
        },
      ],
    },
  },
);
