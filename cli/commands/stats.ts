/** stats: the incidents' clock over a period. */
import type { Command } from 'commander';
import { z } from 'zod';
import { formatDuration, humanDuration } from '../../common/duration';
import { action, print, printJson } from '../command';

/**
 * `tourniquet stats [--since 30d] [--json]`: for the incidents that ended in the period, time to
 * contain, to acknowledge (per approval gate) and to resolve as percentiles (p50, p90, max) per
 * playbook, severity and class, and the time spent waiting on people versus actions. Drills are
 * listed apart. Reads each incident's record, so a worker must be running.
 */
export function registerStatsCommand(program: Command): void {
  program
    .command('stats')
    .description('Time to contain, acknowledge and resolve: percentiles per playbook, severity and class (drills apart)')
    .option('--since <duration>', 'incidents that ended within this long, e.g. 7d, 12h', '30d')
    .option('--json', 'print JSON')
    .action(
      action(z.object({ since: humanDuration }), async (ctx, o) => {
        const client = await ctx.client();
        const { incidentStats } = await import('../../client/stats');
        const now = new Date();
        const stats = await incidentStats(client, new Date(now.getTime() - o.since), now);
        if (ctx.json) return printJson(stats);
        print(
          `${stats.incidents} incident(s) ended since ${stats.since}${stats.unreadable.length ? ` (${stats.unreadable.length} unreadable: is a worker running?)` : ''}`,
        );
        if (!stats.rows.length) return;
        const pct = (p: { p50: number; p90: number; max: number; count: number } | undefined) =>
          p ? `${formatDuration(p.p50 * 1000)} / ${formatDuration(p.p90 * 1000)} / ${formatDuration(p.max * 1000)}` : '—';
        const header = ['mode', 'playbook', 'sev', 'class', 'n', 'contain p50/p90/max', 'acknowledge p50/p90/max', 'resolve p50/p90/max', 'people / actions'];
        const rows = stats.rows.map((r) => [
          r.mode,
          r.playbook,
          r.severity,
          r.class,
          String(r.incidents),
          pct(r.timeToContain),
          pct(r.timeToAcknowledge),
          pct(r.timeToResolve),
          `${formatDuration(r.humanSec * 1000)} / ${formatDuration(r.actionSec * 1000)}`,
        ]);
        const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
        for (const r of [header, ...rows])
          print(
            r
              .map((c, i) => c.padEnd(widths[i]!))
              .join('  ')
              .trimEnd(),
          );
      }),
    );
}
