/**
 * A command runner that plays back recorded outputs and keeps every argv it was given: the
 * stand-in for managers this machine cannot run (systemd without systemd as PID 1, Docker
 * without an engine, LVM, ZFS). Each rule answers the commands its `match` accepts.
 */
import type { CommandResult, CommandRunner } from '../../activities';

export interface Rule {
  match: (argv: readonly string[]) => boolean;
  /** An answer, or a function of how many times this rule answered before. */
  reply: Partial<CommandResult> | ((count: number, argv: readonly string[]) => Partial<CommandResult>);
}

export function recorded(rules: Rule[]): { run: CommandRunner; calls: string[][] } {
  const calls: string[][] = [];
  const counts = new Map<Rule, number>();
  const run: CommandRunner = async (argv) => {
    calls.push([...argv]);
    const rule = rules.find((r) => r.match(argv));
    if (!rule) return { exitCode: 127, stdout: '', stderr: `not recorded: ${argv.join(' ')}`, durationMs: 1 };
    const n = counts.get(rule) ?? 0;
    counts.set(rule, n + 1);
    const reply = typeof rule.reply === 'function' ? rule.reply(n, argv) : rule.reply;
    return { exitCode: 0, stdout: '', stderr: '', durationMs: 1, ...reply };
  };
  return { run, calls };
}

/** argv starts with these words (after `ip netns exec <ns>` when present). */
export const startsWith =
  (...words: string[]) =>
  (argv: readonly string[]) =>
    words.every((w, i) => argv[i] === w);

export const includes =
  (...words: string[]) =>
  (argv: readonly string[]) =>
    words.every((w) => argv.includes(w));
