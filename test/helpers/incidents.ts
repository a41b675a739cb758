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
