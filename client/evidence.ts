/**
 * `tourniquet evidence verify <id>`: check an incident's evidence folders against their
 * manifests, and each manifest's own SHA-256 against the one the workflow history recorded
 * when it was captured (so rewriting a file and its manifest together is caught too).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { evidenceRoot, verifyEvidence } from '../activities';
import { sha256 } from '../common/hash';
import { Problem } from '../common/errors';

export interface FolderReport {
  folder: string;
  files: number;
  /** Files whose content no longer matches the manifest, or that are gone. */
  changed: string[];
  manifestSha256: string;
  /** The hash the history recorded; undefined when history was not consulted or has none. */
  recordedSha256?: string;
  ok: boolean;
}

/** `folder → manifestSha256` from the incident's completed activities, read from its history (no worker needed). */
export async function recordedManifests(client: Client, id: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let history;
  try {
    history = await client.workflow.getHandle(id).fetchHistory();
  } catch (err) {
    if ((err as { code?: number }).code === 5 || /not found/i.test((err as Error).message)) {
      throw new Problem('UnknownIncident', `no incident "${id}" on this server (use --offline to check the files against their manifests only)`);
    }
    throw err;
  }
  for (const event of history.events ?? []) {
    const payload = event.activityTaskCompletedEventAttributes?.result?.payloads?.[0];
    if (!payload) continue;
    const result = defaultPayloadConverter.fromPayload<{ data?: { folder?: unknown; manifestSha256?: unknown } }>(payload);
    if (typeof result?.data?.folder === 'string' && typeof result.data.manifestSha256 === 'string') out.set(result.data.folder, result.data.manifestSha256);
  }
  return out;
}

export async function verifyIncidentEvidence(home: string, id: string, recorded?: Map<string, string>): Promise<FolderReport[]> {
  const root = evidenceRoot(home, id);
  if (!existsSync(root)) throw new Problem('UnknownIncident', `no evidence for incident "${id}" under ${root}`);
  const reports: FolderReport[] = [];
  // Dot-folders are interrupted attempts, kept as they were and never published.
  for (const name of readdirSync(root)
    .filter((n) => !n.startsWith('.'))
    .sort()) {
    const folder = join(root, name);
    if (!existsSync(join(folder, 'manifest.json'))) {
      reports.push({ folder, files: 0, changed: ['manifest.json'], manifestSha256: '', ok: false });
      continue;
    }
    const manifestSha256 = sha256(readFileSync(join(folder, 'manifest.json')));
    const changed = await verifyEvidence(folder);
    const recordedSha256 = recorded?.get(folder);
    const files = (JSON.parse(readFileSync(join(folder, 'manifest.json'), 'utf8')) as { entries: unknown[] }).entries.length;
    const historyOk = recorded === undefined || recordedSha256 === manifestSha256;
    reports.push({ folder, files, changed, manifestSha256, ...(recordedSha256 ? { recordedSha256 } : {}), ok: changed.length === 0 && historyOk });
  }
  return reports;
}

export function renderReport(r: FolderReport, checkedHistory: boolean): string {
  const problems = [
    ...(r.changed.length ? [`changed or missing: ${r.changed.join(', ')}`] : []),
    ...(checkedHistory && r.recordedSha256 === undefined ? ['no manifest hash for this folder in the workflow history'] : []),
    ...(checkedHistory && r.recordedSha256 !== undefined && r.recordedSha256 !== r.manifestSha256
      ? ['manifest.json differs from the hash recorded in the workflow history']
      : []),
  ];
  return `${r.ok ? 'ok  ' : 'FAIL'}  ${r.folder}  ${r.files} file(s)${checkedHistory && r.ok ? ', manifest matches history' : ''}${problems.length ? `: ${problems.join('; ')}` : ''}`;
}
