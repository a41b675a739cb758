/**
 * An agent database read and scrubbed through Node's SQLite in a child process of the
 * gateway's own Node (the worker's Node may lack `node:sqlite` and zstd).
 */
import type { OpenClawGateway } from '../../contract';
import type { ActivityDeps } from '../deps';
import { StepError } from '../errors';
import type { StepIO } from '../step';
import { cliEnv } from './shared';

/** Read every transcript event of an agent database through SQLite (an online read, never a copy of the WAL file). */
export async function dumpTranscripts(
  deps: ActivityDeps,
  io: StepIO,
  g: OpenClawGateway,
  db: string,
  copyTo: string,
): Promise<{ text: string; ok: boolean; error?: string }> {
  const script = `
    const { DatabaseSync } = require('node:sqlite');
    const zlib = require('node:zlib');
    const db = new DatabaseSync(process.argv[1], { readOnly: true });
    db.exec("VACUUM INTO '" + process.argv[2].replaceAll("'", "''") + "'");
    const cols = db.prepare("SELECT name FROM pragma_table_info('transcript_events')").all().map((c) => c.name);
    const rows = db.prepare('SELECT * FROM transcript_events ORDER BY session_id, seq').all();
    for (const r of rows) {
      let event = r.event_json;
      if (!event && r.event_zstd && zlib.zstdDecompressSync) event = zlib.zstdDecompressSync(Buffer.from(r.event_zstd)).toString('utf8');
      process.stdout.write(JSON.stringify({ session_id: r.session_id, seq: r.seq, event: event ?? null }) + '\\n');
    }`;
  const result = await deps.run([g.node, '-e', script, db, copyTo], { signal: io.signal, timeoutMs: 120_000, env: cliEnv(g) });
  return result.exitCode === 0 ? { text: result.stdout, ok: true } : { text: '', ok: false, error: result.stderr.trim().split('\n').at(-1) ?? '' };
}

/**
 * Scrub secrets out of an online copy of an agent database: every text value that holds one
 * has it replaced by its marker, compressed transcript events are rewritten the same way,
 * the full-text indexes (derived, and holding every word of every message) are dropped with
 * the triggers that fed them, and the file is vacuumed so no freed page keeps the old text. The secrets arrive on stdin,
 * never in a command line.
 */
export async function scrubDatabase(deps: ActivityDeps, io: StepIO, g: OpenClawGateway, copy: string, secrets: { value: string; marker: string }[]) {
  const script = `
    const { DatabaseSync } = require('node:sqlite');
    const zlib = require('node:zlib');
    const secrets = JSON.parse(require('node:fs').readFileSync(0, 'utf8'));
    const db = new DatabaseSync(process.argv[1]);
    const q = (name) => '"' + name.replaceAll('"', '""') + '"';
    for (const { name } of db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger'").all()) db.exec('DROP TRIGGER ' + q(name));
    for (const { name, sql } of db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all())
      if (/CREATE VIRTUAL TABLE/i.test(sql ?? '')) {
        // A module this Node lacks (sqlite-vec's vectors) cannot be dropped; it holds numbers, not text.
        try { db.exec('DROP TABLE IF EXISTS ' + q(name)); } catch {}
      }
    for (const { name } of db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all()) {
      for (const { name: col } of db.prepare('SELECT name FROM pragma_table_info(?)').all(name)) {
        for (const s of secrets)
          db.prepare('UPDATE ' + q(name) + ' SET ' + q(col) + ' = replace(' + q(col) + ', ?, ?) WHERE typeof(' + q(col) + ") = 'text' AND instr(" + q(col) + ', ?) > 0').run(s.value, s.marker, s.value);
      }
    }
    const cols = db.prepare("SELECT name FROM pragma_table_info('transcript_events')").all().map((c) => c.name);
    if (cols.includes('event_zstd') && zlib.zstdDecompressSync) {
      for (const r of db.prepare('SELECT rowid, event_zstd FROM transcript_events WHERE event_zstd IS NOT NULL').all()) {
        let text = zlib.zstdDecompressSync(Buffer.from(r.event_zstd)).toString('utf8');
        if (!secrets.some((s) => text.includes(s.value))) continue;
        for (const s of secrets) text = text.split(s.value).join(s.marker);
        db.prepare('UPDATE transcript_events SET event_zstd = ? WHERE rowid = ?').run(zlib.zstdCompressSync(Buffer.from(text)), r.rowid);
      }
    }
    db.exec('VACUUM');
    db.close();`;
  const result = await deps.run([g.node, '-e', script, copy], { signal: io.signal, timeoutMs: 120_000, env: cliEnv(g), input: JSON.stringify(secrets) });
  if (result.exitCode !== 0)
    throw new StepError(
      'CommandFailed',
      `could not scrub the secrets out of ${copy}: ${result.stderr.split('\n').find((l) => /Error/.test(l)) ?? result.stderr.trim().split('\n').at(-1) ?? ''}`,
    );
}

/**
 * How many transcript events each session has in its agent's database, read online (a
 * read-only connection beside the gateway's writer). Sessions with no row count 0.
 */
export async function transcriptEventCounts(
  deps: ActivityDeps,
  io: StepIO,
  g: OpenClawGateway,
  sessions: { agentId: string; sessionId: string }[],
): Promise<Record<string, number>> {
  const script = `
    const { DatabaseSync } = require('node:sqlite');
    const fs = require('node:fs');
    const path = require('node:path');
    const wanted = JSON.parse(fs.readFileSync(0, 'utf8'));
    const out = {};
    for (const { agentId, sessionId } of wanted) {
      const file = path.join(process.argv[1], 'agents', agentId, 'agent', 'openclaw-agent.sqlite');
      if (!fs.existsSync(file)) throw new Error('no agent database ' + file);
      const db = new DatabaseSync(file, { readOnly: true });
      out[sessionId] = db.prepare('SELECT count(*) AS n FROM transcript_events WHERE session_id = ?').get(sessionId).n;
      db.close();
    }
    process.stdout.write(JSON.stringify(out));`;
  const result = await deps.run([g.node, '-e', script, g.stateDir], { signal: io.signal, timeoutMs: 60_000, env: cliEnv(g), input: JSON.stringify(sessions) });
  if (result.exitCode !== 0)
    throw new StepError(
      'CommandFailed',
      `could not read the transcripts of ${g.gateway}: ${
        result.stderr
          .trim()
          .split('\n')
          .find((l) => /Error/.test(l)) ??
        result.stderr.trim().split('\n').at(-1) ??
        ''
      }`,
    );
  return JSON.parse(result.stdout) as Record<string, number>;
}
