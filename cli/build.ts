/**
 * The compiled CLI: one ES module, dist/cli.js, bundled from cli/index.ts with esbuild (tsx's
 * own compiler, already installed with it), so a command starts without compiling TypeScript.
 * `npm install` builds it (the `prepare` script), `npm run build` rebuilds it. Beside it sits
 * dist/cli.inputs.json: every source file it was built from (a bundled package by its
 * package.json), with its size and modification time. bin/tourniquet.js runs the bundle only
 * while those still match, else the sources through tsx.
 *
 * Also dist/workflow-service.json: the part of Temporal's protobuf schema the lean client of
 * `list` and `status` speaks (client/lean/), cut from @temporalio/proto's.
 *
 * The bundle sits one folder below the root like every source file, so paths derived from
 * `import.meta.url` (common/paths.ts) point where they did.
 */
import { mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { build, type Plugin } from 'esbuild';
import { DESCRIPTOR_PATH, leanDescriptorFile } from '../client/lean/descriptor';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const CLI_BUNDLE = join(ROOT, 'dist', 'cli.js');
export const CLI_INPUTS = join(ROOT, 'dist', 'cli.inputs.json');

/** One source file the bundle was built from, as bin/tourniquet.js checks it. */
export interface BuiltInput {
  /** Path from the project root, with forward slashes. */
  file: string;
  size: number;
  mtimeMs: number;
}

/**
 * Packages compiled into the bundle: the ones every command loads before it does anything
 * (many small ES modules each, which Node resolves and links one by one on every start), and
 * protobufjs with its helper packages, which `list` and `status` load (client/lean/).
 */
const BUNDLED = new Set(['zod', 'commander', 'protobufjs']);
const bundled = (name: string) => BUNDLED.has(name) || name.startsWith('@protobufjs/');

/**
 * Every other package stays outside the bundle and loads from node_modules as it does under
 * tsx. A package's inner file imported without its extension (`@temporalio/common/lib/time`)
 * resolves under tsx and CommonJS, not under Node's ES module loader: name the `.js` file.
 */
const packages: Plugin = {
  name: 'packages',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith('node:')) return { path: args.path, external: true };
      const parts = args.path.split('/');
      const name = args.path.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
      if (bundled(name)) return undefined;
      const deep = args.path !== name && !/\.[cm]?js$/.test(args.path);
      return { path: deep ? `${args.path}.js` : args.path, external: true };
    });
  },
};

/**
 * The Temporal SDK's client-side packages are CommonJS. Imported from an ES module, Node first
 * scans each file (and every file it re-exports, the SDK's whole index tree) for its export
 * names, then compiles it: every file is read twice. Loaded with `require` it is compiled once.
 * Each becomes a small module that requires it and re-exports the names it has (listed here,
 * at build time), so the commands' `import { Client } from '@temporalio/client'` stays as written.
 */
const REQUIRED = /^@temporalio\/(client|common|proto|workflow|activity)(\/.*)?$/;
const viaRequire: Plugin = {
  name: 'via-require',
  setup(b) {
    const load = createRequire(join(ROOT, 'package.json'));
    b.onResolve({ filter: REQUIRED }, (args) =>
      // The generated module's own require stays a require of the package in node_modules.
      args.kind === 'require-call' ? { path: args.path, external: true } : { path: args.path, namespace: 'via-require' },
    );
    b.onLoad({ filter: /.*/, namespace: 'via-require' }, (args) => {
      const names = Object.keys(load(args.path) as object).filter((n) => /^[A-Za-z_$][\w$]*$/.test(n) && n !== 'default');
      const exports = names.map((n) => `export const ${n} = m.${n};`).join('\n');
      return { contents: `const m = require(${JSON.stringify(args.path)});\n${exports}\nexport default m;\n`, loader: 'js', resolveDir: ROOT };
    });
  },
};

/**
 * zod's index re-exports its error messages in every language (`z.locales`); tourniquet speaks
 * English (zod's default, imported on its own) and never names a locale: the rest stays out.
 */
const englishOnly: Plugin = {
  name: 'english-only',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      args.importer.includes(`${sep}zod${sep}`) ? { path: 'zod-locales', namespace: 'english-only' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'english-only' }, () => ({
      contents: "export { default as en } from 'zod/v4/locales/en.js';\n",
      loader: 'js',
      resolveDir: ROOT,
    }));
  },
};

/**
 * Build dist/cli.js and its chunks. Each file is written beside its final name and renamed
 * into place, chunks first and the manifest last, so a `tourniquet` started meanwhile (a test,
 * a second terminal) runs the old build or the new one, never half of one.
 */
export async function buildCli(): Promise<{ path: string; inputs: number }> {
  const dist = join(ROOT, 'dist');
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: { cli: join(ROOT, 'cli', 'index.ts') },
    outdir: dist,
    write: false,
    // Each command's heavy modules (the Temporal client, the worker, the intake) are separate
    // chunks its handler imports when it runs, so `--version` or `list` loads only what it needs.
    splitting: true,
    chunkNames: 'cli-chunks-[name]-[hash]',
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: 'linked',
    metafile: true,
    logLevel: 'warning',
    plugins: [viaRequire, englishOnly, packages],
    // commander is CommonJS: its require() of Node's own modules needs a require in an ES module.
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  });
  const inputs: BuiltInput[] = Object.keys(result.metafile.inputs)
    // The plugins' generated modules (`via-require:...`) have no file of their own.
    .filter((input) => !/^[a-z-]+:/.test(input))
    .map((input) => relative(ROOT, join(ROOT, input)).split(sep).join('/'))
    // A bundled package stands for its files by its package.json, which an install rewrites:
    // some seventy fewer files for bin/tourniquet.js to check on every start.
    .map((file) => /^node_modules\/(@[^/]+\/)?[^/]+\//.exec(file)?.[0].concat('package.json') ?? file)
    .filter((file, i, all) => all.indexOf(file) === i)
    .sort()
    .map((file) => {
      const s = statSync(join(ROOT, file));
      return { file, size: s.size, mtimeMs: s.mtimeMs };
    });
  mkdirSync(dist, { recursive: true });
  const place = (path: string, contents: Uint8Array | string) => {
    writeFileSync(`${path}.${process.pid}.tmp`, contents);
    renameSync(`${path}.${process.pid}.tmp`, path);
  };
  const outputs = [...result.outputFiles].sort((x, y) => Number(x.path === CLI_BUNDLE) - Number(y.path === CLI_BUNDLE));
  for (const out of outputs) place(out.path, out.contents);
  // The lean client's cut of Temporal's schema (client/lean/descriptor.ts), before the manifest.
  place(DESCRIPTOR_PATH, JSON.stringify(leanDescriptorFile()));
  place(CLI_INPUTS, `${JSON.stringify({ inputs }, null, 1)}\n`);
  // Chunks of earlier builds: content-hashed names nothing refers to any more.
  const current = new Set(outputs.map((o) => basename(o.path)));
  for (const name of readdirSync(dist)) if (name.startsWith('cli-chunks-') && !current.has(name)) rmSync(join(dist, name), { force: true });
  return { path: CLI_BUNDLE, inputs: inputs.length };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const started = Date.now();
  const { path, inputs } = await buildCli();
  console.log(`compiled CLI: ${path} from ${inputs} sources (${Date.now() - started} ms)`);
}
