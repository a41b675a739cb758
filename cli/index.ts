/**
 * The `tourniquet` command line. Every command exits 0 on success, otherwise non-zero with
 * one line that says what to fix.
 */
import { Command } from 'commander';
import { registerApproverCommands } from './commands/approvers';
import { registerClusterCommands } from './commands/cluster';
import { registerDecisionCommands } from './commands/decide';
import { registerEvidenceCommands } from './commands/evidence';
import { registerFollowCommands, registerIncidentCommands } from './commands/incident';
import { registerPlaybookCommands } from './commands/playbook';
import { registerStartCommand } from './commands/start';
import { registerIntakeCommand } from './commands/intake';
import { registerRuntimeCommands } from './commands/runtime';
import { registerSteerCommands } from './commands/steer';
import { fail } from './command';

export function buildProgram(): Command {
  const program = new Command('tourniquet')
    .description('Incident-response playbooks for self-hosted AI agents, run as durable Temporal workflows')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)');
  registerRuntimeCommands(program);
  registerStartCommand(program);
  registerIncidentCommands(program);
  registerFollowCommands(program);
  registerDecisionCommands(program);
  registerApproverCommands(program);
  registerSteerCommands(program);
  registerPlaybookCommands(program);
  registerEvidenceCommands(program);
  registerIntakeCommand(program);
  registerClusterCommands(program);
  return program;
}

buildProgram().parseAsync(process.argv).catch(fail);
