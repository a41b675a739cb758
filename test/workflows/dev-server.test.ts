/**
 * Starting the embedded server when its first start loses a port to another process: the real
 * Temporal CLI behind a wrapper whose first run exits as a lost bind does.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Connection } from '@temporalio/client';
import { freePort } from '../../common/probe';
import type { Problem } from '../../common/errors';
import { startDevServer } from '../../server/dev-server';
import { ensureTemporalCli } from '../../server/temporal-cli';
import { tempDir } from '../helpers/activity';
import { quietLogger } from '../helpers/temporal';

/** A CLI that fails its first `failures` runs with `message`, then is the real one. */
function flakyCli(dir: string, realCli: string, failures: number, message: string): { path: string; runs: () => number } {
  const count = join(dir, 'runs');
  const path = join(dir, 'temporal');
  writeFileSync(
    path,
    `#!/bin/sh
n=$(cat '${count}' 2>/dev/null || echo 0); n=$((n+1)); echo $n > '${count}'
if [ $n -le ${failures} ]; then echo '${message}'; exit 1; fi
exec '${realCli}' "$@"
`,
  );
  chmodSync(path, 0o755);
  return { path, runs: () => (existsSync(count) ? Number(readFileSync(count, 'utf8')) : 0) };
}

/** The embedded server as tourniquet starts it, with `cliPath` for the CLI, in `dir`. */
const startIn = async (dir: string, cliPath: string, logFile = join(dir, 'server.log')) =>
  startDevServer({ cliPath, dbFile: join(dir, 'temporal.sqlite'), port: await freePort(), uiPort: false, logFile, logger: quietLogger });

const LOST_BIND = 'Error: unable to start server: listen tcp 127.0.0.1:40001: bind: address already in use';

describe('embedded dev server start-up', () => {
  it('starts again when its first start lost a port to another process, and answers', async () => {
    const dir = tempDir('tourniquet-devserver-');
    const cli = flakyCli(dir, (await ensureTemporalCli(quietLogger)).path, 1, LOST_BIND);
    const server = await startIn(dir, cli.path);
    try {
      assert.equal(cli.runs(), 2);
      const connection = await Connection.connect({ address: server.address });
      const info = await connection.workflowService.getSystemInfo({});
      assert.ok(info.serverVersion, 'the second start answers getSystemInfo');
      await connection.close();
    } finally {
      await server.stop();
    }
  });

  it('gives up after three lost starts and shows the server’s last lines', async () => {
    const dir = tempDir('tourniquet-devserver-');
    const cli = flakyCli(dir, '/bin/false', 5, LOST_BIND);
    const logFile = join(dir, 'server.log');
    await assert.rejects(startIn(dir, cli.path, logFile), (error: Problem) => {
      assert.equal(error.kind, 'StartupFailed');
      assert.match(error.message, new RegExp(`see ${logFile}`));
      assert.match(error.message, /address already in use/);
      return true;
    });
    assert.equal(cli.runs(), 3);
  });

  it('does not start again when the server failed for another reason', async () => {
    const dir = tempDir('tourniquet-devserver-');
    const cli = flakyCli(dir, '/bin/false', 5, 'Error: unable to open database file: permission denied');
    await assert.rejects(startIn(dir, cli.path), /exited during start-up.*\n.*unable to open database file/s);
    assert.equal(cli.runs(), 1);
  });
});
