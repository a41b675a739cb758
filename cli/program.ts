/**
 * The `tourniquet` command line's definitions: every command, argument and option. cli/index.ts
 * runs it; cli/docs.ts renders docs/cli.md from it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, Help, type Option } from 'commander';
import { PROJECT_ROOT } from '../common/paths';
import { PROBLEM_KINDS } from '../common/errors';
import { registerApproverCommands } from './commands/approvers';
import { registerClusterCommands } from './commands/cluster';
import { registerDecisionCommands } from './commands/decide';
import { registerDiscoverCommands } from './commands/discover';
import { registerEvidenceCommands } from './commands/evidence';
import { registerFollowCommands, registerIncidentCommands } from './commands/incident';
import { registerPlaybookCommands } from './commands/playbook';
import { registerStartCommand } from './commands/start';
import { registerIntakeCommand } from './commands/intake';
import { registerRuntimeCommands } from './commands/runtime';
import { registerSilenceCommands } from './commands/silence';
import { registerStatsCommand } from './commands/stats';
import { registerRetryCommand } from './commands/retry';
import { registerSteerCommands } from './commands/steer';

/** package.json's version, which bin/tourniquet.js also prints for a bare `--version`. */
const VERSION = (JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

export function buildProgram(): Command {
  const program = new Command('tourniquet')
    .description('Incident-response playbooks for self-hosted AI agents, run as durable Temporal workflows')
    .version(VERSION);
  usageErrorsAsProblems(program);
  registerRuntimeCommands(program);
  registerStartCommand(program);
  registerIncidentCommands(program);
  registerFollowCommands(program);
  registerDecisionCommands(program);
  registerSteerCommands(program);
  registerRetryCommand(program);
  registerPlaybookCommands(program);
  registerEvidenceCommands(program);
  registerDiscoverCommands(program);
  registerIntakeCommand(program);
  registerSilenceCommands(program);
  registerStatsCommand(program);
  registerClusterCommands(program);
  registerApproverCommands(program);
  return program;
}

/**
 * Usage errors (an unknown option, a missing argument or required option) follow the contract
 * of every other error: one line, `tourniquet: ...`, exit 2 (InvalidInput), as JSON on stdout
 * under `--json`. Help and `--version` still exit 0. Set before the commands are added, so
 * each inherits it; required options say so in `--help`.
 */
function usageErrorsAsProblems(program: Command): void {
  const json = process.argv.includes('--json');
  program
    .exitOverride((err) => {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') process.exit(0);
      process.exit(err.exitCode === 0 ? 0 : PROBLEM_KINDS.InvalidInput);
    })
    .configureOutput({
      outputError: (text, write) => {
        const message = `${text.trim().replace(/^error: /, '')} (run with --help for usage)`;
        if (json) process.stdout.write(`${JSON.stringify({ error: { kind: 'InvalidInput', message, exitCode: PROBLEM_KINDS.InvalidInput } }, null, 2)}\n`);
        else write(`tourniquet: ${message}\n`);
      },
    })
    .configureHelp({
      optionDescription: (option: Option) => `${option.mandatory ? '(required) ' : ''}${Help.prototype.optionDescription.call(new Help(), option)}`,
    });
}
