/**
 * The compiled CLI: `npm install` (prepare) and `npm run build` write dist/cli.js, and
 * bin/tourniquet.js runs it while it matches its sources, else the sources through tsx.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { freshCli } from '../../bin/fresh.js';
import { buildCli } from '../../cli/build';
import { PROJECT_ROOT } from '../../common/paths';
import { PROBLEM_KINDS } from '../../common/errors';
import { freePort } from '../../common/probe';

const BIN = join(PROJECT_ROOT, 'bin', 'tourniquet.js');
const FALLBACK = /running from the TypeScript sources/;

describe('freshness of the compiled CLI', () => {
  const root = mkdtempSync(join(tmpdir(), 'tourniquet-fresh-'));
  const source = join(root, 'cli', 'index.ts');

  function build(): void {
    mkdirSync(join(root, 'cli'), { recursive: true });
    mkdirSync(join(root, 'dist'), { recursive: true });
    writeFileSync(source, 'export {};\n');
    utimesSync(source, 1_700_000_000, 1_700_000_000);
    writeFileSync(join(root, 'dist', 'cli.js'), '');
    writeFileSync(join(root, 'dist', 'cli.inputs.json'), JSON.stringify({ inputs: [{ file: 'cli/index.ts', size: 11, mtimeMs: 1_700_000_000_000 }] }));
  }

  it('is fresh while every source has the size and time it was built from', () => {
    build();
    assert.equal(freshCli(root).path, join(root, 'dist', 'cli.js'));
  });

  it('is stale once a source changes, and says which', () => {
    build();
    utimesSync(source, 1_700_000_100, 1_700_000_100);
    assert.deepEqual(freshCli(root), { why: 'cli/index.ts changed since the build' });
  });

  it('is stale when a source is gone or nothing was built', () => {
    build();
    rmSync(source);
    assert.deepEqual(freshCli(root), { why: 'cli/index.ts is gone since the build' });
    rmSync(join(root, 'dist'), { recursive: true });
    assert.deepEqual(freshCli(root), { why: 'the compiled CLI is not built' });
  });
});

describe('bin/tourniquet.js after a build', () => {
  it('runs the compiled CLI, with no word about the sources', async () => {
    await buildCli();
    assert.ok(freshCli(PROJECT_ROOT).path, freshCli(PROJECT_ROOT).why);
    const version = await execa(process.execPath, [BIN, '--version']);
    assert.equal(version.stdout, '0.1.0');
    assert.doesNotMatch(version.stderr, FALLBACK);
    // A command whose handler loads its modules when it runs: the compiled chunks resolve.
    const playbooks = await execa(process.execPath, [BIN, 'playbook', 'list', '--json'], { env: { LOG_LEVEL: 'silent' } });
    assert.ok(
      (JSON.parse(playbooks.stdout) as { name: string }[]).some((p) => p.name === 'secret-exposure'),
      playbooks.stdout,
    );
    assert.doesNotMatch(playbooks.stderr, FALLBACK);
  });

  it('reports a server nobody listens on as ServerUnreachable in one line', async () => {
    const address = `127.0.0.1:${await freePort()}`;
    const r = await execa(process.execPath, [BIN, 'list'], { env: { TEMPORAL_ADDRESS: address }, reject: false });
    assert.equal(r.exitCode, PROBLEM_KINDS.ServerUnreachable, r.stderr);
    const lines = r.stderr.split('\n').filter((l) => !FALLBACK.test(l));
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, new RegExp(`^tourniquet: Temporal server unreachable at ${address} \\(connect ECONNREFUSED`));
  });
});

describe('answers of the CLI as a process', () => {
  const cli = (args: string[], env: NodeJS.ProcessEnv = {}) => execa(process.execPath, [BIN, ...args], { env: { LOG_LEVEL: 'silent', ...env }, reject: false });
  const errorLines = (stderr: string) => stderr.split('\n').filter((l) => l && !FALLBACK.test(l));

  it('a usage error is one line, `tourniquet: ...`, exit 2; under --json an error object', async () => {
    const unknown = await cli(['list', '--bogus']);
    assert.equal(unknown.exitCode, PROBLEM_KINDS.InvalidInput);
    assert.deepEqual(errorLines(unknown.stderr), ["tourniquet: unknown option '--bogus' (run with --help for usage)"]);
    const missing = await cli(['approve', 'inc-1', 'step-1', '--json']);
    assert.equal(missing.exitCode, PROBLEM_KINDS.InvalidInput);
    assert.deepEqual(JSON.parse(missing.stdout), {
      error: { kind: 'InvalidInput', message: "required option '--by <name>' not specified (run with --help for usage)", exitCode: 2 },
    });
  });

  it('help marks required options, and exits 0', async () => {
    const help = await cli(['approve', '--help']);
    assert.equal(help.exitCode, 0);
    assert.match(help.stdout, /--by <name>\s+\(required\) who approves/);
  });

  it('playbook list starts with a header row, and its columns line up under it', async () => {
    const r = await cli(['playbook', 'list']);
    assert.equal(r.exitCode, 0, r.stderr);
    const [header, ...rows] = r.stdout.trimEnd().split('\n');
    assert.match(header!, /^name\s+class\s+severity\s+description$/);
    const classAt = header!.indexOf('class');
    assert.ok(
      rows.some((row) => row.startsWith('openclaw-runaway-automation ')),
      'the long OpenClaw names are listed',
    );
    for (const row of rows) assert.match(row.slice(classAt - 2, classAt + 1), /^ {2}\S$/, `class column misaligned: ${row}`);
  });

  it('dev with a bad routes file reports the routes problem, exit 2, whether it is found before or after the server starts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tourniquet-dev-routes-'));
    const env = async (routes: string) => {
      writeFileSync(join(dir, 'routes.yaml'), routes);
      return {
        TOURNIQUET_HOME: join(dir, 'home'),
        TOURNIQUET_SERVER_PORT: String(await freePort()),
        TOURNIQUET_UI_PORT: String(await freePort()),
        TOURNIQUET_INTAKE_PORT: String(await freePort()),
        TOURNIQUET_INTAKE_ROUTES: join(dir, 'routes.yaml'),
        TOURNIQUET_INTAKE_GENERIC_TOKEN: 'a-token-long-enough-for-the-intake',
        TOURNIQUET_INVENTORY: join(PROJECT_ROOT, 'examples', 'tourniquet.yaml'),
        ...(process.env.TEMPORAL_CLI ? { TEMPORAL_CLI: process.env.TEMPORAL_CLI } : {}),
      };
    };
    const malformed = await cli(['dev'], await env('routes:\n  - name: r\n    match: { labels.alertname: X }\n    severity: S2\n'));
    assert.equal(malformed.exitCode, PROBLEM_KINDS.InvalidInput, malformed.stderr);
    assert.deepEqual(errorLines(malformed.stderr), [
      'tourniquet: invalid routes file:',
      `  ${join(dir, 'routes.yaml')}:2: routes.0.playbook: Invalid input: expected string, received undefined`,
    ]);
    // Well-formed, but naming a playbook nobody has: found once the server runs, and still the routes' problem.
    const unknown = await cli(
      ['dev'],
      await env('routes:\n  - name: r\n    match: { labels.alertname: X }\n    playbook: no-such-playbook\n    severity: S2\n'),
    );
    assert.equal(unknown.exitCode, PROBLEM_KINDS.InvalidInput, unknown.stderr);
    const [first, second] = errorLines(unknown.stderr);
    assert.equal(first, 'tourniquet: routes and playbooks disagree:');
    assert.match(second!, /^ {2}route "r": no playbook "no-such-playbook"; see `tourniquet playbook list`/);
    assert.doesNotMatch(unknown.stderr, /unexpected error|IllegalStateError|connection/i);
  });

  it('a missing inventory says which file it looked for and how to point elsewhere', async () => {
    const missing = join(tmpdir(), 'no-such-dir', 'tourniquet.yaml');
    const r = await cli(['drill', 'secret-exposure', '--param', 'credential=x'], { TOURNIQUET_INVENTORY: missing });
    assert.equal(r.exitCode, PROBLEM_KINDS.InvalidInput);
    assert.deepEqual(errorLines(r.stderr), [
      `tourniquet: no inventory at ${missing}: copy examples/tourniquet.yaml there and name your services, credentials and paths, or point at yours with --inventory <file> or TOURNIQUET_INVENTORY`,
    ]);
  });
});
