/**
 * `npm run demo`: the main job on the embedded default. Lays out an agent sandbox, starts the
 * Temporal dev server and a worker, and runs the built-in secret-exposure playbook end to end,
 * holding at the approval gate and at the durable-control gate until someone answers (or
 * answering itself when there is no terminal). The approval gate of an S1 incident needs a
 * proven identity: the demo enrolls its own approver in the sandbox's store and approves with
 * that approver's current authenticator code.
 */
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { userInfo } from 'node:os';
import { enrollApprover } from '../common/approvers';
import { incidentUrl, loadConfig } from '../common/config';
import { base32Decode, otpauthUri, timeStep, totpCode } from '../common/totp';
import { Problem } from '../common/errors';
import { approve, getProgress, recordControl, startIncident } from '../client/incidents';
import { compileNamedPlaybook, loadInventory } from '../compiler';
import { createLogger, installRuntimeLogger } from '../common/logger';
import { connectClient, connectWorker } from '../client/temporal';
import { startStack } from '../server/stack';
import { createWorker } from '../worker/create';
import { renderProgress } from '../cli/format';
import { FINAL_STATES, type IncidentProgress } from '../contract';
import { createSandbox, gatewayStarts, SANDBOX_PARAMS, stopGateway } from './sandbox';

const say = (line = '') => process.stdout.write(`${line}\n`);

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
      let seen = 0;
      let gateAnnounced = false;
      let controlAnnounced = false;
      for (;;) {
        const p = await getProgress(client, id);
        for (const e of p.timeline.slice(seen)) say(`  ${e.at.slice(11, 19)}  ${e.step ? `[${e.step}] ` : ''}${e.message}`);
        seen = p.timeline.length;
        const gate = p.pendingApprovals[0];
        if (gate && !gateAnnounced) {
          gateAnnounced = true;
          announceGate(id, gate.step, link);
          void approveWhenAsked(client, id, gate.step);
        }
        if (p.state === 'awaiting-control' && !controlAnnounced) {
          controlAnnounced = true;
          announceControl(id, link);
          void controlWhenAsked(client, id);
        }
        if (FINAL_STATES.has(p.state)) break;
        await new Promise((r) => setTimeout(r, 300));
      }
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

function announceGate(id: string, step: string, url: string | undefined): void {
  const payload = JSON.stringify({ step, by: DEMO_APPROVER, code: '<code>', comment: 'key rotated, evidence captured' });
  say(`\n  ── Approval needed: step "${step}" (an S1 step: the approver proves who they are with a code) ──`);
  say(`  ${DEMO_APPROVER}'s code right now: ${demoCode()} (a new one every 30 s; an authenticator app with the secret above shows the same)`);
  if (url) say(`  In the Temporal UI: open ${url}, "Send a Signal", name: approve, input:\n      ${payload}`);
  say(`  From a terminal:    npx tourniquet approve ${id} ${step} --by ${DEMO_APPROVER} --code <code>`);
}

function announceControl(id: string, url: string | undefined): void {
  const payload = JSON.stringify({ kind: 'scrub-rule', note: 'pre-commit secret scanner on the agent workspace', by: '<your name>' });
  say('\n  ── The incident cannot close without a durable control (a prompt change is never one) ──');
  if (url) say(`  In the Temporal UI: open ${url}, "Send a Signal", name: control, input:\n      ${payload}`);
  say(`  From a terminal:    npx tourniquet control ${id} --kind scrub-rule --note "pre-commit secret scanner" --by <your name>`);
}

/** With a terminal, Enter records the example control; without one (CI), record it at once. */
async function controlWhenAsked(client: Awaited<ReturnType<typeof connectClient>>, id: string): Promise<void> {
  const by = userInfo().username || 'operator';
  const control = { kind: 'scrub-rule' as const, note: 'pre-commit secret scanner on the agent workspace (demo)', by };
  if (!process.stdin.isTTY) {
    say('  No terminal on stdin: the demo records that control by itself.\n');
    await recordControl(client, id, { ...control, by: `${by} (demo, no terminal)` });
    return;
  }
  say(`  Or press Enter here to record it as ${by}.\n`);
  await waitForEnter();
  await recordControl(client, id, control).catch((err: Error) => say(`  (${err.message})`));
}

async function waitForEnter(): Promise<void> {
  const rl = createInterface({ input: process.stdin });
  await new Promise<void>((resolve) => rl.once('line', () => resolve()));
  rl.close();
}

/** With a terminal, Enter approves as the demo approver, with a fresh code; without one (CI), approve at once. */
async function approveWhenAsked(client: Awaited<ReturnType<typeof connectClient>>, id: string, step: string): Promise<void> {
  if (!process.stdin.isTTY) {
    const code = demoCode();
    say(`  No terminal on stdin: the demo approves by itself as ${DEMO_APPROVER}, with the code ${code}.\n`);
    await approve(client, id, { step, by: DEMO_APPROVER, code, comment: 'auto-approved: no terminal on stdin' });
    return;
  }
  say(`  Or press Enter here to approve as ${DEMO_APPROVER} with the code of that moment.\n`);
  await waitForEnter();
  const code = demoCode();
  say(`  Approving as ${DEMO_APPROVER} with the code ${code}.`);
  await approve(client, id, { step, by: DEMO_APPROVER, code, comment: 'approved at the demo prompt' }).catch((err: Error) => say(`  (${err.message})`));
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(err instanceof Problem ? err.exitCode : 1);
  },
);
