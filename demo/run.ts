/**
 * `npm run demo`: the main job on the embedded default. Lays out an agent sandbox, starts the
 * Temporal dev server and a worker, and runs the built-in secret-exposure playbook end to end,
 * holding at the approval gate and at the durable-control gate until someone answers (or
 * answering itself when there is no terminal). The approval gate of an S1 incident needs a
 * proven identity: the demo enrolls its own approver in the sandbox's store and approves with
 * that approver's current authenticator code.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { enrollApprover } from '../common/approvers';
import { incidentUrl, loadConfig } from '../common/config';
import { base32Decode, otpauthUri, timeStep, totpCode } from '../common/totp';
import { Problem } from '../common/errors';
import { getProgress, startIncident } from '../client/incidents';
import { compileNamedPlaybook, loadInventory } from '../compiler';
import { createLogger, installRuntimeLogger } from '../common/logger';
import { connectClient, connectWorker } from '../client/temporal';
import { startStack } from '../server/stack';
import { createWorker } from '../worker/create';
import { renderProgress } from '../cli/format';
import type { IncidentProgress } from '../contract';
import { followIncident, say } from './prompts';
import { createSandbox, gatewayStarts, SANDBOX_PARAMS, stopGateway } from './sandbox';

/** The demo's own approver, enrolled in the sandbox's store (not yours). */
const DEMO_APPROVER = 'demo-approver';
let demoSecret = '';

/** The code an authenticator app set up with the demo approver's secret shows now, as "123 456". */
function demoCode(): string {
  const code = totpCode(base32Decode(demoSecret), timeStep(new Date()));
  return `${code.slice(0, 3)} ${code.slice(3)}`;
}

async function main(): Promise<void> {
  const config = loadConfig({ LOG_LEVEL: 'warn', ...process.env });
  // The terminal is for the story; the structured logs (the worker's, the SDK's) go to a file.
  const logFile = join(config.home, 'demo.log');
  const logger = createLogger(config.logLevel, 'demo', logFile);
  installRuntimeLogger(logger);

  say('tourniquet demo: a leaked agent API key, handled as a durable incident\n');
  const stack = await startStack(config, logger);
  say(`Temporal server: ${stack.address}${stack.embedded ? ` (embedded, state in ${config.home})` : ''}`);
  if (stack.uiUrl) say(`Temporal Web UI: ${stack.uiUrl}`);
  say(`Logs (JSON):     ${logFile}`);

  const sandboxRoot = join(config.home, 'demo', new Date().toISOString().replace(/[:.]/g, '-'));
  const sandbox = await createSandbox(sandboxRoot);
  say(`Sandbox agent:   ${sandboxRoot} (gateway on ${sandbox.healthUrl})`);
  const approversFile = join(sandboxRoot, 'approvers.json');
  demoSecret = enrollApprover(approversFile, DEMO_APPROVER, { randomBytes, now: new Date() }).secret;
  say(`Demo approver:   ${DEMO_APPROVER}, enrolled in ${approversFile} (what \`tourniquet approvers enroll\` does)`);
  say(`  authenticator secret: ${demoSecret}`);
  say(`  ${otpauthUri(DEMO_APPROVER, demoSecret)}\n`);

  const connection = await connectWorker({ ...config, server: { ...config.server, address: stack.address } });
  const worker = await createWorker({
    connection,
    namespace: config.server.namespace,
    taskQueue: config.taskQueue,
    home: config.home,
    approversFile,
    logger,
  });
  const client = await connectClient({ ...config, server: { ...config.server, address: stack.address } });

  let final: IncidentProgress | undefined;
  try {
    final = await worker.runUntil(async () => {
      const input = compileNamedPlaybook('secret-exposure', {
        inventory: loadInventory(sandbox.inventoryFile),
        params: SANDBOX_PARAMS['secret-exposure'],
        home: config.home,
      });
      say(`Playbook: secret-exposure (${input.steps.length} steps), inventory ${sandbox.inventoryFile}`);
      const { id, handle } = await startIncident(client, input, { taskQueue: config.taskQueue });
      say(`Incident started: ${id}`);
      const link = incidentUrl({ uiUrl: stack.uiUrl, namespace: config.server.namespace }, id);
      if (link) say(`  ${link}`);
      say();
      await followIncident(client, id, {
        url: link,
        approvers: [{ name: DEMO_APPROVER, code: demoCode }],
        gateWhy: 'an S1 step: the approver proves who they are with a code',
        control: { kind: 'scrub-rule', note: 'pre-commit secret scanner on the agent workspace' },
      });
      await handle.result().catch(() => undefined);
      return getProgress(client, id);
    });
  } finally {
    await connection.close();
    await stopGateway(sandbox);
    await stack.stop();
  }

  say(`\n${renderProgress(final)}\n`);
  const evidence = final.steps.find((s) => s.action === 'captureEvidence')?.result?.folder;
  if (evidence) say(`Evidence: ${String(evidence)}`);
  const note = final.steps.find((s) => s.action === 'writeNote')?.result?.path;
  if (note) say(`Incident note: ${String(note)}`);
  say(`Gateway starts recorded: ${gatewayStarts(sandbox).length} (1 at set-up, 1 after approval)`);
  if (final.state !== 'resolved') throw new Problem('StartupFailed', `the demo incident ended ${final.state}`);
  say('Demo incident resolved.');
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(err instanceof Problem ? err.exitCode : 1);
  },
);
