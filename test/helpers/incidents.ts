import type { IncidentInputDraft } from '../../contract';

/** Three quick steps, the middle one waiting for approval as `approval` says. */
export function gated(approval: Record<string, unknown>, extra: Partial<IncidentInputDraft> = {}): IncidentInputDraft {
  return {
    class: 'runaway-automation',
    severity: 'S2',
    title: 'mailer loop',
    steps: [
      { id: 'first', action: 'runCommand', args: { argv: ['true'] } },
      { id: 'gated', action: 'runCommand', approval: { required: true, ...approval }, args: { argv: ['true'] } },
      { id: 'last', action: 'runCommand', args: { argv: ['true'] } },
    ],
    ...extra,
  } as IncidentInputDraft;
}

/**
 * A freeze step whose command fails twice (as a local activity), then a step that never runs:
 * a local step's failure reaches the workflow unwrapped (workflows/step-flow.ts).
 */
export function failingLocalFreeze(title: string): IncidentInputDraft {
  return {
    class: 'runaway-automation',
    severity: 'S3',
    title,
    steps: [
      {
        id: 'flaky',
        action: 'runCommand',
        phase: 'freeze',
        timeouts: { startToClose: '30s' },
        retry: { maximumAttempts: 2, initialInterval: '100ms' },
        args: { argv: ['false'] },
      },
      { id: 'never', action: 'runCommand', args: { argv: ['true'] } },
    ],
  };
}
