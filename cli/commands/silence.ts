/** silence add, list, expire: alerts that start nothing for a while. */
import type { Command } from 'commander';
import { z } from 'zod';
import { formatDuration, humanDuration } from '../../common/duration';
import { action, print, printJson } from '../command';
import { currentUser } from '../options';

/** Loaded when a command runs: the silences and the state folder the intake reads. */
const book = async () => {
  const [{ SilenceBook }, { intakeStateDir }] = await Promise.all([import('../../intake/silences'), import('../../intake/state')]);
  return new SilenceBook(intakeStateDir());
};

const collect = (value: string, previous: string[] = []) => [...previous, value];

/**
 * `tourniquet silence add --match instance=agent-1 --for 2h --reason "..."`: deliveries whose
 * alert has every matched label are answered `silenced`, counted and recorded, and start
 * nothing, until the silence runs out or `silence expire` ends it. Silences live in the
 * intake's state folder (`$TOURNIQUET_INTAKE_STATE`, default `$TOURNIQUET_HOME/intake`), so
 * they hold across restarts of the intake and of the Temporal server.
 */
export function registerSilenceCommands(program: Command): void {
  const silence = program.command('silence').description('Silence alerts: matching deliveries are answered and recorded, and start nothing');

  silence
    .command('add')
    .description('Silence alerts with these labels for a while')
    .requiredOption('--match <label=value>', 'a label the alert must have with this value (repeat for several)', collect)
    .requiredOption('--for <duration>', 'how long, e.g. 30m, 2h, 1d')
    .requiredOption('--reason <text>', 'why, for whoever reads the list')
    .option('--by <name>', 'who silences (default: the OS user)')
    .option('--json', 'print the silence as JSON')
    .action(
      action(
        z.object({ match: z.array(z.string()).min(1), for: humanDuration, reason: z.string().min(1).max(500), by: z.string().min(1).max(100).optional() }),
        async (ctx, o) => {
          const { parseMatchers } = await import('../../intake/silences');
          const matchers = parseMatchers(o.match);
          const added = (await book()).add({ matchers, forMs: o.for, reason: o.reason, by: o.by ?? currentUser() });
          if (ctx.json) return printJson(added);
          print(`${added.id}: alerts with ${labels(added.matchers)} are silenced until ${added.endsAt} (${formatDuration(o.for)})`);
        },
      ),
    );

  silence
    .command('list')
    .description('List silences with how many deliveries each silenced')
    .option('--all', 'also silences that have ended (kept a week)')
    .option('--json', 'print JSON')
    .action(
      action(z.object({ all: z.boolean().optional() }), async (ctx, o) => {
        const { isActive } = await import('../../intake/silences');
        const b = await book();
        const now = new Date();
        const hits = b.hitCounts();
        const rows = b
          .all()
          .filter((s) => o.all || isActive(s, now))
          .map((s) => ({ ...s, state: isActive(s, now) ? 'active' : 'ended', hits: hits.get(s.id) ?? 0 }));
        if (ctx.json) return printJson(rows);
        if (!rows.length) return print(o.all ? 'no silences' : 'no active silences');
        for (const r of rows) {
          const until = r.expiredAt ? `expired ${r.expiredAt}` : `${r.state === 'active' ? 'until' : 'ended'} ${r.endsAt}`;
          print(`${r.id}  ${r.state.padEnd(6)}  ${labels(r.matchers)}  ${until}  ${r.hits} silenced  by ${r.by}: ${r.reason}`);
        }
      }),
    );

  silence
    .command('expire')
    .description('End a silence now')
    .argument('<id>', 'silence id, from `silence list`')
    .option('--json', 'print the ended silence as JSON')
    .action(
      action(z.object({}), async (ctx, _o, id: string) => {
        const ended = (await book()).expire(id);
        if (ctx.json) return printJson(ended);
        print(`${ended.id} expired: alerts with ${labels(ended.matchers)} start incidents again`);
      }),
    );
}

const labels = (m: Record<string, string>) =>
  Object.entries(m)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
