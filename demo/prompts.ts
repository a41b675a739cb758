/**
 * What both demos do once their incident runs: print its timeline as it grows, and at each
 * wait show the two ways to answer (the Temporal UI and the CLI), then answer on Enter, or by
 * itself when stdin is not a terminal (CI), so a demo never hangs without a person.
 */
import { createInterface } from 'node:readline';
import { userInfo } from 'node:os';
import { approve, getProgress, recordControl } from '../client/incidents';
import type { connectClient } from '../client/temporal';
import { FINAL_STATES, type IncidentProgress } from '../contract';

export const say = (line = '') => process.stdout.write(`${line}\n`);

type DemoClient = Awaited<ReturnType<typeof connectClient>>;

/** A demo approver and the code their authenticator shows at this moment. */
export interface DemoApprover {
  name: string;
  code: () => string;
}

/** The durable control a demo records; `by` is the person at the terminal. */
export interface DemoControl {
  kind: 'scrub-rule' | 'parse-gate';
  note: string;
}

export interface Waits {
  /** The incident's Web UI link, when the server has a UI. */
  url: string | undefined;
  approvers: readonly DemoApprover[];
  /** Why the gate asks what it asks, shown in its heading. */
  gateWhy: string;
  control: DemoControl;
}

/**
 * Follow the incident until it ends: every new timeline event printed once, each approval
 * gate and the control gate announced and answered once.
 */
export async function followIncident(client: DemoClient, id: string, waits: Waits): Promise<IncidentProgress> {
  let seen = 0;
  const gates = new Set<string>();
  let controlAsked = false;
  for (;;) {
    const p = await getProgress(client, id);
    for (const e of p.timeline.slice(seen)) say(`  ${e.at.slice(11, 19)}  ${e.step ? `[${e.step}] ` : ''}${e.message}`);
    seen = p.timeline.length;
    for (const gate of p.pendingApprovals.filter((g) => !gates.has(g.step))) {
      gates.add(gate.step);
      announceGate(id, gate.step, waits);
      void approveWhenAsked(client, id, gate.step, waits.approvers);
    }
    if (p.state === 'awaiting-control' && !controlAsked) {
      controlAsked = true;
      announceControl(id, waits);
      void controlWhenAsked(client, id, waits.control);
    }
    if (FINAL_STATES.has(p.state)) return p;
    await new Promise((r) => setTimeout(r, 300));
  }
}

function announceGate(id: string, step: string, waits: Waits): void {
  const first = waits.approvers[0]!.name;
  say(`\n  ── Approval needed: step "${step}" (${waits.gateWhy}) ──`);
  for (const a of waits.approvers) say(`  ${a.name}'s code right now: ${a.code()} (a new one every 30 s)`);
  if (waits.url) {
    // The update answers the sender (a refusal comes back with its reason); the signal does not.
    say(`  In the Temporal UI: open ${waits.url}, "Send an Update", name: decide, input:`);
    say(`      ${JSON.stringify({ decision: 'approve', step, by: first, code: '<code>' })}`);
    say(`    (or "Send a Signal", name: approve, input ${JSON.stringify({ step, by: first, code: '<code>' })}; a signal does not answer)`);
  }
  say(`  From a terminal:    npx tourniquet approve ${id} ${step} --by ${waits.approvers.length > 1 ? '<approver>' : first} --code <code>`);
}

function announceControl(id: string, waits: Waits): void {
  const { kind, note } = waits.control;
  say('\n  ── The incident cannot close without a durable control (a prompt change is never one) ──');
  if (waits.url)
    say(`  In the Temporal UI: open ${waits.url}, "Send a Signal", name: control, input:\n      ${JSON.stringify({ kind, note, by: '<your name>' })}`);
  say(`  From a terminal:    npx tourniquet control ${id} --kind ${kind} --note "${note}" --by <your name>`);
}

/** With a terminal, Enter approves as every demo approver, each with a fresh code; without one, at once. */
async function approveWhenAsked(client: DemoClient, id: string, step: string, approvers: readonly DemoApprover[]): Promise<void> {
  const names = approvers.map((a) => a.name).join(' and ');
  const tty = process.stdin.isTTY;
  if (tty) {
    say(`  Or press Enter here to approve as ${names} with the code of that moment.\n`);
    await waitForEnter();
  } else say(`  No terminal on stdin: the demo approves by itself as ${names}.\n`);
  for (const a of approvers) {
    const comment = tty ? 'approved at the demo prompt' : 'auto-approved: no terminal on stdin';
    await approve(client, id, { step, by: a.name, code: a.code(), comment }).catch((err: Error) => say(`  (${err.message})`));
  }
}

/** With a terminal, Enter records the demo's control as the user at the terminal; without one, at once. */
async function controlWhenAsked(client: DemoClient, id: string, control: DemoControl): Promise<void> {
  const by = userInfo().username || 'operator';
  if (!process.stdin.isTTY) {
    say('  No terminal on stdin: the demo records that control by itself.\n');
    await recordControl(client, id, { ...control, note: `${control.note} (demo)`, by: `${by} (demo, no terminal)` });
    return;
  }
  say(`  Or press Enter here to record it as ${by}.\n`);
  await waitForEnter();
  await recordControl(client, id, { ...control, note: `${control.note} (demo)`, by }).catch((err: Error) => say(`  (${err.message})`));
}

async function waitForEnter(): Promise<void> {
  const rl = createInterface({ input: process.stdin });
  await new Promise<void>((resolve) => rl.once('line', () => resolve()));
  rl.close();
}
