/**
 * Evidence and memory: capture the gateway's config, logs, workspace and transcripts (secrets
 * redacted, databases scrubbed), and quarantine the memory files the agent's prompt is built from.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { sha256File } from '../../common/hash';
import { findSecrets, redactText } from '../../common/secrets/detect';
import { rotatedFingerprints } from '../leaks/known';
import type { ActivityDeps } from '../deps';
import { StepError } from '../errors';
import { publishEvidence, verifyEvidence, writeCaptured, type SourceRecord } from '../evidence/folder';
import { incidentDir, safeName } from '../journal';
import { defineStep } from '../step';
import { configValue, listCronJobs, listSessions, status } from './levers';
import { fileAbsent, type Proof } from './oracles';
import { readToken, readConfigFile, withConnection, identify, plan, requireProof, gatewayArgs, workspaceOf, memoryFiles } from './shared';
import { dumpTranscripts, scrubDatabase } from './sqlite';

/** Every string value under a key that names a secret (token, apiKey, password, secret), for redaction. */
function secretValues(node: unknown, key = ''): string[] {
  if (typeof node === 'string') return /token|key|secret|password/i.test(key) ? [node] : [];
  if (Array.isArray(node)) return node.flatMap((v) => secretValues(v, key));
  if (node && typeof node === 'object') return Object.entries(node).flatMap(([k, v]) => secretValues(v, k));
  return [];
}

export function evidenceSteps(deps: ActivityDeps) {
  const openclawCaptureEvidence = defineStep(deps, 'openclawCaptureEvidence', {
    plan: plan(
      (g) =>
        `copy ${g.configPath} (secrets redacted), its logs, the workspace files and online SQLite copies of ${join(g.stateDir, 'agents', '*', 'agent', 'openclaw-agent.sqlite')} into the evidence folder, with sessions and cron jobs over RPC`,
    ),
    run: async (io, args) => {
      const token = readToken(args);
      const config = readConfigFile(args);
      // The config's secrets, and every value this incident rotated away (found by fingerprint):
      // a leaked gateway token is no longer in the config, yet still in transcripts, logs and
      // the config's rolling backups.
      const known = { values: [token, ...secretValues(config)], fingerprints: rotatedFingerprints(io.journal, io.key.workflowId).all };
      let transcripts = 0;
      const result = await publishEvidence(deps, io, async (staging) => {
        const sources: SourceRecord[] = [];
        const missing: string[] = [];
        const put = (file: string, name: string, kind: string, text: string) => {
          const clean = redactText(text, known);
          writeCaptured(staging, file, clean.text);
          sources.push({ kind, name, file, ...(clean.redactions ? { redactions: clean.redactions } : {}) });
        };
        put('config/openclaw.json', args.configPath, 'config', readFileSync(args.configPath, 'utf8'));
        for (const bak of readdirSync(dirname(args.configPath)).filter((n) => /^openclaw\.json\.(bak|last-good)/.test(n)))
          put(`config/${bak}`, join(dirname(args.configPath), bak), 'config', readFileSync(join(dirname(args.configPath), bak), 'utf8'));
        const logFile = configValue(config, 'logging.file');
        if (typeof logFile === 'string' && existsSync(logFile)) put('logs/openclaw.log', logFile, 'log', readFileSync(logFile, 'utf8'));
        else missing.push(String(logFile ?? 'logging.file (not set)'));
        const ws = workspaceOf(args);
        for (const name of existsSync(ws) ? readdirSync(ws).filter((n) => n.endsWith('.md')) : [])
          put(`workspace/${name}`, join(ws, name), 'workspace', readFileSync(join(ws, name), 'utf8'));
        for (const file of memoryFiles(args).filter((f) => f.includes('/memory/')))
          put(`workspace/memory/${file.split('/').at(-1)}`, file, 'memory', readFileSync(file, 'utf8'));
        const agentsDir = join(args.stateDir, 'agents');
        for (const agent of existsSync(agentsDir) ? readdirSync(agentsDir) : []) {
          const db = join(agentsDir, agent, 'agent', 'openclaw-agent.sqlite');
          if (!existsSync(db)) continue;
          io.heartbeat({ transcripts: agent });
          mkdirSync(join(staging, 'databases'), { recursive: true, mode: 0o700 });
          // The SQLite copy holds what the config holds (auth profiles): it stays raw and private, like `files/` of captureEvidence.
          const copy = join(staging, 'databases', `${safeName(agent)}-openclaw-agent.sqlite`);
          const dump = await dumpTranscripts(deps, io, args, db, copy);
          if (!dump.ok) {
            missing.push(`${db} (${dump.error})`);
            continue;
          }
          transcripts += dump.text.split('\n').filter(Boolean).length;
          // The copy holds what the transcripts hold, word for word: a secret found in them
          // (a leaked token, pasted into a chat) is scrubbed out of the copy too.
          const found = findSecrets(dump.text, known);
          const leaked = [...new Map(found.map((f) => [dump.text.slice(f.start, f.end), `[redacted ${f.rule} ${f.fingerprint}]`])).entries()];
          if (leaked.length)
            await scrubDatabase(
              deps,
              io,
              args,
              copy,
              leaked.map(([value, marker]) => ({ value, marker })),
            );
          put(`transcripts/${safeName(agent)}.jsonl`, db, 'transcript', dump.text);
        }
        await withConnection(
          args,
          async (gw) => {
            put('rpc/sessions.json', 'sessions.list', 'rpc', JSON.stringify(await listSessions(gw), null, 2));
            put('rpc/cron.json', 'cron.list', 'rpc', JSON.stringify(await listCronJobs(gw), null, 2));
            put('rpc/status.json', 'status', 'rpc', JSON.stringify(await status(gw), null, 2));
          },
          token,
        );
        return { missing, commands: [], sources };
      });
      const folder = String(result.data?.folder);
      const bad = await verifyEvidence(folder);
      const proof: Proof = {
        holds: bad.length === 0,
        check: `every file in ${folder} matches manifest.json (SHA-256)`,
        observed: bad.length ? `differ: ${bad.join(', ')}` : 'all match',
      };
      requireProof('the evidence capture', [proof]);
      return {
        ...result,
        summary: `${result.summary} (${transcripts} transcript event(s))`,
        data: { ...result.data, transcriptEvents: transcripts, proof: [proof] },
      };
    },
  });

  const openclawQuarantineMemory = defineStep(deps, 'openclawQuarantineMemory', {
    plan: async (args) => [
      await identify(args),
      ...memoryFiles(args).map((f) => ({ kind: 'move' as const, detail: `move ${f} into the incident's quarantine` })),
    ],
    run: async (io, args) => {
      const folder = join(incidentDir(deps.home, io.key.workflowId), 'quarantine', safeName(io.key.stepId));
      // A retry finds the moves of an earlier attempt in the journal and finishes them.
      const planned = (io.pending?.record?.moves as { from: string; to: string; sha256: string }[] | undefined) ?? [];
      const moves = planned.length
        ? planned
        : await Promise.all(
            memoryFiles(args).map(async (from, i) => ({ from, to: join(folder, `${i}-${from.split('/').at(-1)}`), sha256: await sha256File(from) })),
          );
      if (!moves.length) throw new StepError('TargetNotFound', `${args.gateway}: no MEMORY.md or memory/*.md in ${workspaceOf(args)}: nothing to quarantine`);
      io.markPending({ moves });
      mkdirSync(folder, { recursive: true, mode: 0o700 });
      for (const m of moves) if (existsSync(m.from) && !existsSync(m.to)) renameSync(m.from, m.to);
      const proofs: Proof[] = [];
      for (const m of moves) {
        proofs.push(fileAbsent(m.from));
        const kept = existsSync(m.to) && (await sha256File(m.to)) === m.sha256;
        proofs.push({ holds: kept, check: `${m.to} holds the quarantined file (same SHA-256)`, observed: kept ? 'same' : 'missing or changed' });
      }
      requireProof(`the memory quarantine of ${args.gateway}`, proofs);
      writeFileSync(join(folder, 'manifest.json'), `${JSON.stringify(moves, null, 2)}\n`, { mode: 0o400, flag: 'w' });
      return {
        summary: `quarantined ${moves.length} memory file(s) of ${args.gateway} into ${folder}`,
        data: {
          gateway: args.gateway,
          folder,
          files: moves.map((m) => ({ from: m.from, sha256: m.sha256 })),
          proof: proofs,
          undo: { action: 'openclawUndo', args: { ...gatewayArgs(args), moves: moves.map((m) => ({ from: m.to, to: m.from })) } },
        },
      };
    },
  });

  return { openclawCaptureEvidence, openclawQuarantineMemory };
}
