/**
 * The intake's state folder: silences (silences.ts) and the record of what it decided about
 * deliveries that reached no incident (re-fires recorded after an incident ended). Default
 * `$TOURNIQUET_HOME/intake`; `TOURNIQUET_INTAKE_STATE` moves it. The `silence` commands and the
 * intake must agree on it, so both find it here.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

export function intakeStateDir(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  if (env.TOURNIQUET_INTAKE_STATE) return resolve(cwd, env.TOURNIQUET_INTAKE_STATE);
  return join(resolve(cwd, env.TOURNIQUET_HOME ?? '.tourniquet'), 'intake');
}

/** A re-fire recorded on an ended incident (`onRefire: record`): one JSON line each. */
export interface RefireRecord {
  at: string;
  incidentId: string;
  key: string;
  source: string;
  summary: string;
}

export function recordRefire(dir: string, record: RefireRecord): void {
  mkdirSync(dir, { recursive: true });
  appendFileSync(join(dir, 'refires.jsonl'), `${JSON.stringify(record)}\n`);
}
