/**
 * docs/cli.md, the CLI reference, rendered from the commander definitions (cli/program.ts) and
 * the exit-code table (common/errors.ts), so it cannot drift from the code: `npm run docs:cli`
 * writes it, and a test fails when the file differs from what this renders.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command, Option } from 'commander';
import { PROBLEM_KINDS, PROBLEM_MEANINGS, type ProblemKind } from '../common/errors';
import { PROJECT_ROOT } from '../common/paths';
import { buildProgram } from './program';

export const CLI_DOC = join(PROJECT_ROOT, 'docs', 'cli.md');

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function usage(path: string[], cmd: Command): string {
  const args = cmd.registeredArguments.map((a) => {
    const name = `${a.name()}${a.variadic ? '...' : ''}`;
    return a.required ? `<${name}>` : `[${name}]`;
  });
  return [...path, ...args].join(' ');
}

function optionRow(o: Option): string {
  const required = o.mandatory ? '**required** ' : '';
  const fallback = o.defaultValue !== undefined && o.defaultValue !== false ? ` (default: \`${String(o.defaultValue)}\`)` : '';
  return `| \`${cell(o.flags)}\` | ${required}${cell(o.description)}${fallback} |`;
}

function renderCommand(path: string[], cmd: Command, out: string[]): void {
  const subcommands = cmd.commands.filter((c) => c.name() !== 'help');
  if (subcommands.length) {
    for (const sub of subcommands) renderCommand([...path, sub.name()], sub, out);
    return;
  }
  out.push(`## \`${usage(path, cmd)}\``, '', cell(cmd.description()), '');
  if (cmd.registeredArguments.length) {
    out.push('| argument | meaning |', '| --- | --- |');
    for (const a of cmd.registeredArguments) out.push(`| \`${a.name()}\` | ${a.required ? '**required** ' : ''}${cell(a.description)} |`);
    out.push('');
  }
  const options = cmd.options.filter((o) => !o.hidden);
  if (options.length) {
    out.push('| option | meaning |', '| --- | --- |', ...options.map(optionRow), '');
  }
}

/** The whole reference, as markdown. */
export function renderCliReference(program: Command = buildProgram()): string {
  const out = [
    '# CLI reference',
    '',
    '<!-- Generated from cli/program.ts and common/errors.ts by `npm run docs:cli`; do not edit by hand. -->',
    '',
    `\`${program.name()}\`: ${program.description()}. \`npx tourniquet ...\` works from the project folder; \`npm link\` puts \`tourniquet\` on your PATH.`,
    '',
    '## Exit codes',
    '',
    'Every command exits 0 on success; otherwise it prints one line on stderr, `tourniquet: <what to fix>` (under `--json`, an `{"error": {kind, message, exitCode}}` object on stdout), and exits with the code of its kind:',
    '',
    '| code | kind | meaning |',
    '| --- | --- | --- |',
    ...(Object.entries(PROBLEM_KINDS) as [ProblemKind, number][]).map(([kind, code]) => `| ${code} | \`${kind}\` | ${cell(PROBLEM_MEANINGS[kind])} |`),
    '| 1 | `Unexpected` | anything else (a bug: the message carries the stack) |',
    '',
    '## Commands',
    '',
    ...program.commands
      .filter((c) => c.name() !== 'help')
      .flatMap((c) =>
        c.commands.length
          ? c.commands.map((s) => `- [\`${c.name()} ${s.name()}\`](#${anchor(usage([program.name(), c.name(), s.name()], s))})`)
          : [`- [\`${c.name()}\`](#${anchor(usage([program.name(), c.name()], c))})`],
      ),
    '',
  ];
  for (const cmd of program.commands.filter((c) => c.name() !== 'help')) renderCommand([program.name(), cmd.name()], cmd, out);
  return `${out.join('\n').trimEnd()}\n`;
}

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to dashes. */
function anchor(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^a-z0-9 _-]/g, '')
    .replace(/ /g, '-');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(CLI_DOC, renderCliReference());
  console.log(`wrote ${CLI_DOC}`);
}
