/** quarantine / unquarantine and scanLeaks against real files and git repositories. */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { execa } from 'execa';
import { fingerprint } from '../../common/hash';
import { harness, have, tempDir } from '../helpers/activity';

describe('quarantine and unquarantine (real files)', () => {
  it('moves a published folder into quarantine with its metadata and hash, leaves a placeholder, and puts it back', async () => {
    const publish = join(tempDir('tourniquet-publish-'), 'public');
    mkdirSync(join(publish, 'img'), { recursive: true });
    writeFileSync(join(publish, 'index.html'), '<p>internal hostname staging.internal</p>\n', { mode: 0o640 });
    writeFileSync(join(publish, 'img', 'shot.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47]));
    const h = harness();
    const plan = await h.call('quarantine', 'pull', { path: publish, placeholder: 'Removed pending review.\n' }, { plan: true });
    assert.match(plan.summary, /would move .*public into .*quarantine\/pull\/public/);
    assert.ok(existsSync(join(publish, 'index.html')), 'a drill moves nothing');

    const result = await h.call('quarantine', 'pull', { path: publish, placeholder: 'Removed pending review.\n', reason: 'public leak' });
    const item = String(result.data?.quarantinedTo);
    assert.equal(readFileSync(join(item, 'index.html'), 'utf8'), '<p>internal hostname staging.internal</p>\n');
    assert.equal(statSync(join(item, 'index.html')).mode & 0o777, 0o640, 'metadata kept');
    assert.equal(readFileSync(join(publish, 'QUARANTINED.txt'), 'utf8'), 'Removed pending review.\n');
    assert.equal(statSync(join(item, '..')).mode & 0o777, 0o700);
    const again = await h.call('quarantine', 'pull', { path: publish, placeholder: 'Removed pending review.\n' }, { attempt: 2 });
    assert.equal(again.replayed, true);

    const undo = result.data?.undo as { action: 'unquarantine'; args: unknown };
    const back = await h.call(undo.action, 'put-back', undo.args);
    assert.equal((await h.call(undo.action, 'put-back', undo.args, { attempt: 2 })).replayed, true, 'put back once');
    assert.equal(back.data?.sha256, result.data?.sha256);
    assert.ok(!existsSync(join(publish, 'QUARANTINED.txt')));
    assert.equal(readFileSync(join(publish, 'index.html'), 'utf8'), '<p>internal hostname staging.internal</p>\n');
    assert.ok(!existsSync(item));
  });

  it('will not put a file back over something that is not its placeholder', async () => {
    const dir = tempDir();
    const card = join(dir, 'card-007.md');
    writeFileSync(card, 'false durable claim\n');
    const h = harness();
    await h.call('quarantine', 'q', { path: card, placeholder: 'quarantined\n' });
    writeFileSync(card, 'a corrected card someone wrote since\n');
    await assert.rejects(h.call('unquarantine', 'uq', { path: card }), (e: Error & { type?: string }) => e.type === 'UnsafeActionRefused');
    assert.equal(readFileSync(card, 'utf8'), 'a corrected card someone wrote since\n');
    await assert.rejects(h.call('quarantine', 'missing', { path: join(dir, 'nope') }), (e: Error & { type?: string }) => e.type === 'TargetNotFound');
  });
});

describe('scanLeaks (real git repository, paths and evidence)', () => {
  it('finds tracked env files, token formats and a rotated value by fingerprint, reporting file and line only', async (t) => {
    if (!have('git')) return t.skip('needs git');
    const repo = tempDir('tourniquet-scan-');
    const git = (...args: string[]) => execa('git', ['-C', repo, '-c', 'user.email=t@example.invalid', '-c', 'user.name=t', ...args]);
    await git('init', '-q');
    const old = `sk-live-${'abcdef012345'.repeat(4)}`;
    writeFileSync(join(repo, '.env'), `AGENT_API_KEY=${old}\n`);
    writeFileSync(join(repo, '.env.example'), 'AGENT_API_KEY=\n');
    writeFileSync(join(repo, 'notes.md'), `line one\nhanded off key ${old} to the agent\n`);
    writeFileSync(join(repo, 'clean.md'), 'nothing here\n');
    await git('add', '.');
    await git('commit', '-qm', 'oops');
    const staging = tempDir('tourniquet-staging-');
    writeFileSync(join(staging, 'post.html'), `<p>token ghp_${'Z'.repeat(36)}</p>\n`);

    const h = harness();
    await h.call('rotateKey', 'rotate', { envFile: join(repo, '.env'), key: 'AGENT_API_KEY' });
    const result = await h.call('scanLeaks', 'scan', { repos: [repo], paths: [staging] });
    const first = result.data?.first as { file: string; line: number; rule: string; fingerprint: string }[];
    const at = (file: string) => first.filter((f) => f.file.endsWith(file)).map((f) => `${f.line}:${f.rule}`);
    assert.deepEqual(at('/.env'), ['0:tracked-env-file', '1:sk-api-key'], 'a tracked .env is a finding, and so is the (new) token in it');
    assert.deepEqual(at('notes.md'), ['2:fingerprint'], 'the old value, found by its fingerprint');
    assert.deepEqual(at('post.html'), ['1:github-token']);
    assert.deepEqual(at('.env.example'), []);
    assert.ok((result.data?.fingerprints as string[]).includes(fingerprint(old)), 'the rotation added its old fingerprint');
    assert.equal(result.data?.oldValueHits, 1);
    const report = readFileSync(String(result.data?.report), 'utf8');
    assert.ok(!report.includes(old) && !JSON.stringify(result).includes(old), 'no secret in the report or the result');
    await assert.rejects(
      h.call('scanLeaks', 'strict', { paths: [staging], failOnFinding: true }),
      (e: Error & { type?: string }) => e.type === 'VerificationFailed',
    );
  });
});
