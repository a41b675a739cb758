/**
 * Announcements people must hear about (an escalation, a status update): the workflow's log
 * and the timeline today.
 *
 * HOOK for the `notify` action (added in parallel): once it exists, run it here as an activity
 * (`proxyActivities(...).notify(ctx, {text, level})`) so updates reach a chat channel too. That
 * adds a command to every incident that announces: guard it with `patched('notify-announce')`.
 */
import { log } from '@temporalio/workflow';

export type AnnounceLevel = 'info' | 'warning' | 'critical';

export function announce(incidentId: string, level: AnnounceLevel, text: string): void {
  const attributes = { incident: incidentId, level };
  if (level === 'info') log.info(text, attributes);
  else log.warn(text, attributes);
}
