/**
 * The runbook's ordering rules, as pure functions over steps and their effects. Checked when
 * a playbook is loaded (`checkOrder`) and guarded again before each step runs
 * (`ruleViolation`). Pure: the workflow imports this module.
 */
import { ACTIONS, MUTATING_ACTIONS, phaseOf, PHASES } from './catalogue';
import type { IncidentClass, Step } from './input';
import { batches } from './parallel';
import type { IncidentProgress } from './progress';

export const RULES = {
  1: 'freeze first',
  2: 'evidence before destruction',
  3: 'secret exposure starts with rotation',
  4: 'no restart before capture',
  5: 'no restore over evidence',
  6: 'smoke tests are read-only',
  7: 'no close without a durable control',
  8: 'the engine never deletes evidence',
} as const;
export type RuleNumber = keyof typeof RULES;

export interface RuleViolation {
  rule: RuleNumber;
  step: string;
  /** What is wrong and how to fix it, with the rule named. */
  message: string;
}

function violation(rule: RuleNumber, step: string, what: string): RuleViolation {
  return { rule, step, message: `rule ${rule} (${RULES[rule]}): step "${step}" ${what}` };
}

/**
 * Every violation of rules 1 to 7 in an ordered step list (rule 8 needs paths: see the
 * compiler). Steps that run together (a parallel group, a fan-out's items) are checked as one
 * batch: each may rely only on what finished before the batch, never on a neighbour.
 */
export function checkOrder(input: { class: IncidentClass; steps: Step[] }): RuleViolation[] {
  const out: RuleViolation[] = [];
  const captured = new Set<string>();
  const snapshotted = new Set<string>();
  let seenNonFreeze: string | undefined;
  let rotated = false;
  let lastPhase = 0;

  for (const batch of batches(input.steps)) {
    out.push(...batchViolations(batch));
    let rotatesHere = false;
    for (const step of batch) {
      const fx = step.effects;
      const phase = phaseOf(step);
      const phaseIndex = PHASES.indexOf(phase as (typeof PHASES)[number]);

      // Rule 1: freeze steps stop damage, and they all come first.
      if (phase === 'freeze') {
        if (seenNonFreeze) out.push(violation(1, step.id, `freezes after "${seenNonFreeze}" already ran; move it to the start of the playbook`));
        const stops = fx && (fx.freezes.length > 0 || fx.rotates.length > 0);
        if (!stops && !ACTIONS[step.action].announces) {
          out.push(
            violation(
              1,
              step.id,
              `is in the freeze phase but stops nothing (${step.action}); freeze holds only steps that stop damage (stopService, rotateKey, lockNetwork, quarantine): move it to a later phase`,
            ),
          );
        }
      } else seenNonFreeze ??= step.id;
      if (phaseIndex < lastPhase) {
        out.push(
          violation(1, step.id, `is in phase ${phase} after a step in phase ${PHASES[lastPhase]}; phases run in the runbook's order: ${PHASES.join(', ')}`),
        );
      }
      lastPhase = Math.max(lastPhase, phaseIndex);

      // Rule 3: for a leaked secret, nothing investigates or scrubs before the secret is dead.
      // Any step that rotates a credential counts (rotateKey, openclawRotateToken); a rotation
      // running beside the investigation has not finished before it.
      if (step.action === 'rotateKey' || (fx?.rotates.length ?? 0) > 0) rotatesHere = true;
      if (
        input.class === 'secret-exposure' &&
        !rotated &&
        !(batch.length === 1 && rotatesHere) &&
        (ACTIONS[step.action].investigates || ACTIONS[step.action].scrubs)
      ) {
        out.push(
          violation(
            3,
            step.id,
            `(${step.action}) runs before the credential is rotated; put a rotateKey step first (in the freeze phase): investigate after the token is dead`,
          ),
        );
      }

      if (fx) {
        // Rules 4, 5, 2: nothing restarts, restores or changes a target without earlier evidence of it.
        for (const t of fx.restarts) {
          if (!captured.has(t))
            out.push(
              violation(4, step.id, `restarts "${t}" before its status and logs are captured; add a captureEvidence step with services: [${t}] before it`),
            );
        }
        for (const t of fx.restores) {
          if (!snapshotted.has(t))
            out.push(violation(5, step.id, `restores "${t}" before the broken state is snapshotted; add a snapshotDisk step for "${t}" before it`));
        }
        for (const t of fx.changes) {
          if (!captured.has(t))
            out.push(violation(2, step.id, `changes "${t}" before any evidence capture or snapshot of it; capture or snapshot "${t}" in an earlier step`));
        }
      }

      // Rule 6: a verify step only looks.
      if (phase === 'verify' && MUTATING_ACTIONS.has(step.action)) {
        out.push(violation(6, step.id, `is a verify step but ${step.action} changes the system; verify with a read-only check (smokeTest, scanLeaks) instead`));
      }
    }
    // What the batch captured counts only for the steps after it.
    for (const fx of batch.map((s) => s.effects)) {
      if (!fx) continue;
      for (const t of [...fx.captures, ...fx.snapshots]) captured.add(t);
      for (const t of fx.snapshots) snapshotted.add(t);
    }
    rotated ||= rotatesHere;
  }

  if (input.class === 'secret-exposure' && !rotated) {
    out.push({
      rule: 3,
      step: '(playbook)',
      message: 'rule 3 (secret exposure starts with rotation): a secret-exposure playbook needs a rotateKey step, first or right after the freeze',
    });
  }
  // Rule 7: the playbook ends by writing the note; the workflow waits for a control before it.
  const last = input.steps.at(-1);
  if (!last || last.action !== 'writeNote') {
    out.push({
      rule: 7,
      step: last?.id ?? '(playbook)',
      message: 'rule 7 (no close without a durable control): the last step must be a writeNote step in the learn phase',
    });
  } else if (last.group || last.fanOut) {
    out.push(violation(7, last.id, 'writes the note beside other steps; the note comes last and alone, after everything it reports has ended'));
  }
  return out;
}

/**
 * What may never run side by side: a freeze beside a step that destroys (the damage must be
 * stopped first, rule 1), and a capture or snapshot beside the change, restart or restore of
 * the same target (the evidence must be complete first, rules 2, 4 and 5).
 */
function batchViolations(batch: Step[]): RuleViolation[] {
  if (batch.length < 2) return [];
  const out: RuleViolation[] = [];
  const freeze = batch.find((s) => (s.effects?.freezes.length ?? 0) > 0 || (s.effects?.rotates.length ?? 0) > 0);
  for (const step of batch) {
    const fx = step.effects;
    if (!fx) continue;
    const destroys = step.action === 'restoreBackup' || fx.restores.length + fx.changes.length + fx.restarts.length > 0;
    if (freeze && destroys && freeze !== step)
      out.push(
        violation(
          1,
          step.id,
          `runs beside the freeze step "${freeze.id}"; a step that changes, restores or restarts waits until the freeze has finished: move it after the group`,
        ),
      );
    for (const other of batch) {
      if (other === step || !other.effects) continue;
      const evidence = new Set([...other.effects.captures, ...other.effects.snapshots]);
      const rule = (targets: string[], n: RuleNumber, verb: string) => {
        for (const t of targets.filter((x) => evidence.has(x)))
          out.push(
            violation(n, step.id, `${verb} "${t}" beside "${other.id}", which captures it; the evidence must be complete first: move it after the group`),
          );
      };
      rule(fx.restarts, 4, 'restarts');
      rule(fx.restores, 5, 'restores');
      rule(fx.changes, 2, 'changes');
    }
  }
  return out;
}

/** Run-time guard: would this step break rule 2, 4 or 5 given what has really succeeded? */
export function ruleViolation(step: Step, done: { captured: ReadonlySet<string>; snapshotted: ReadonlySet<string> }): string | undefined {
  const fx = step.effects;
  if (!fx) return undefined;
  const missingRestart = fx.restarts.find((t) => !done.captured.has(t));
  if (missingRestart) return violation(4, step.id, `would restart "${missingRestart}" but no capture of it has succeeded in this incident`).message;
  const missingSnapshot = fx.restores.find((t) => !done.snapshotted.has(t));
  if (missingSnapshot) return violation(5, step.id, `would restore "${missingSnapshot}" but no snapshot of it has succeeded in this incident`).message;
  const missingCapture = fx.changes.find((t) => !done.captured.has(t));
  if (missingCapture) return violation(2, step.id, `would change "${missingCapture}" but no capture or snapshot of it has succeeded in this incident`).message;
  return undefined;
}

/**
 * What still keeps an incident from closing (rule 7 and the runbook's "if the fix is only a
 * prompt, the incident is not closed"): empty when it may be called closed. An incident from a
 * playbook closes itself: after a control is recorded it writes the note and resolves; this is
 * the check `tourniquet close` reports.
 */
export function closureProblems(p: IncidentProgress): string[] {
  const out: string[] = [];
  if (p.mode === 'drill') return ['a drill changes nothing and never closes: start the incident for real'];
  if (!p.controls.length) {
    out.push(
      'no durable control is recorded (rule 7): record one with `tourniquet control <id> --kind <kind> --note <text> --by <name>` (or the `control` signal); a prompt change is never one',
    );
  }
  const note = p.steps.find((s) => s.action === 'writeNote');
  if (!note) out.push('the incident has no writeNote step, so no incident note was written by it');
  else if (note.status !== 'succeeded')
    out.push(`the incident note is not written yet (step "${note.id}" is ${note.status}${p.controls.length ? '' : '; it runs once a control is recorded'})`);
  if (p.state !== 'resolved') {
    const open = p.steps.filter((s) => s.status === 'pending' || s.status === 'running' || s.status === 'awaiting-approval').map((s) => s.id);
    const ended = p.state === 'aborted' || p.state === 'failed' || p.state === 'cancelled';
    out.push(
      ended
        ? `the incident ended ${p.state}, not resolved: write the note with \`tourniquet report\` and follow up in a new incident`
        : `the incident is still ${p.state}${open.length ? `; steps still to run: ${open.join(', ')}` : ''}`,
    );
  }
  return out;
}
