/** What a stopService step records in the journal, and how a later startService finds it. */
import type { ServiceManager } from '../../contract';
import type { JournalEntry } from '../journal';
import type { LaunchRecord, ProcessIdentity } from '../process';
import type { ServiceState } from './adapter';

export interface StopRecord {
  service: string;
  manager?: ServiceManager;
  /** Process manager: the pid stopped (with its start time) and how it had been started. */
  pid?: number;
  process?: ProcessIdentity;
  launch?: LaunchRecord;
  /** False when the stop found the service already down (and its probe agreed). */
  wasRunning?: boolean;
  /** Command-driven managers: the state found before stopping. */
  prior?: ServiceState;
}

/** The latest stop of this service in the incident: that is the state to bring back. */
export function findStopRecord(entries: JournalEntry[], service: string): StopRecord | undefined {
  const stops = entries.filter((e) => e.action === 'stopService' && (e.record as StopRecord | undefined)?.service === service);
  stops.sort((a, b) => a.at.localeCompare(b.at));
  return stops.at(-1)?.record as StopRecord | undefined;
}

export const startUndo = (service: string, manager: ServiceManager) => ({ action: 'startService' as const, args: { service, manager } });
export const stopUndo = (service: string, manager: ServiceManager) => ({ action: 'stopService' as const, args: { service, manager } });
