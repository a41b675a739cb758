/**
 * The workflow sandbox stays free of zod: the bundle holds no module of it, and the
 * hand-written guards the workflow checks signal payloads with give the zod schemas' verdicts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { z } from 'zod';
import { alertNotice, approvalDecision, controlRecord, decideRequest, denyDecision, operatorDecision, pauseRequest, resumeRequest } from '../../contract';
import { checkAlert, checkApproval, checkControl, checkDecide, checkDeny, checkOperator, checkPause, checkResume, type Guarded } from '../../contract/checks';
import { workflowBundle } from '../helpers/temporal';

describe('workflow bundle', () => {
  it('contains the workflow and contract modules it needs, and no module of zod', async () => {
    const { code } = await workflowBundle();
    // The bundle names each module by its path: the checks below read those names.
    assert.match(code, /"\.\/workflows\/incident\.ts"/);
    assert.match(code, /"\.\/contract\/checks\.ts"/);
    const zod = [...new Set(code.match(/node_modules\/zod\/[\w/.-]+/g) ?? [])];
    assert.deepEqual(zod, [], `zod modules in the workflow bundle: ${zod.slice(0, 5).join(', ')}`);
    for (const heavy of ['./contract/input.ts', './contract/actions.ts', './contract/payloads.ts'])
      assert.ok(!code.includes(`"${heavy}"`), `${heavy} is in the bundle`);
  });
});

const SIGNATURE = '-----BEGIN SSH SIGNATURE-----\nU1NIU0lH\n-----END SSH SIGNATURE-----';
const proofs = [
  {},
  { code: '492 113' },
  { code: '49211' },
  { code: 492113 },
  { signature: SIGNATURE, signedAt: '2026-11-22T03:12:09.120Z' },
  { signature: SIGNATURE },
  { signature: 'not armored', signedAt: '2026-11-22T03:12:09Z' },
  { code: '492113', signature: SIGNATURE, signedAt: '2026-11-22T03:12:09+02:00' },
  { signature: SIGNATURE, signedAt: '2026-11-22 03:12' },
  { signature: SIGNATURE, signedAt: '2026-02-30T03:12:09Z' },
];

const cases: { name: string; guard: (raw: unknown) => Guarded<unknown>; schema: z.ZodType; samples: unknown[] }[] = [
  {
    name: 'approve',
    guard: checkApproval,
    schema: approvalDecision,
    samples: [
      ...proofs.map((p) => ({ step: 'restart', by: 'alice', ...p })),
      { step: 'restart', by: 'alice', comment: 'go', extra: 1 },
      { step: '', by: 'alice' },
      { step: 'restart' },
      { step: 'restart', by: 'alice', comment: 'x'.repeat(2001) },
      null,
      [],
      'approve',
    ],
  },
  {
    name: 'deny',
    guard: checkDeny,
    schema: denyDecision,
    samples: [
      ...proofs.map((p) => ({ step: 'restart', by: 'bob', reason: 'still leaking', ...p })),
      { step: 'restart', by: 'bob', reason: '' },
      { step: 'restart', by: 'bob' },
      { step: 'restart', by: 'bob', reason: 'x'.repeat(2001) },
    ],
  },
  {
    name: 'decide',
    guard: checkDecide,
    schema: decideRequest,
    samples: [
      ...proofs.map((p) => ({ decision: 'approve', step: 'restart', by: 'alice', ...p })),
      ...proofs.map((p) => ({ decision: 'deny', step: 'restart', by: 'bob', reason: 'no', ...p })),
      { decision: 'deny', step: 'restart', by: 'bob' },
      { decision: 'maybe', step: 'restart', by: 'bob' },
      { step: 'restart', by: 'bob' },
      undefined,
    ],
  },
  {
    name: 'operator',
    guard: checkOperator,
    schema: operatorDecision,
    samples: [
      { step: 'restore', by: 'alice', decision: 'retry' },
      { step: 'restore', by: 'alice', decision: 'skip', comment: 'ok' },
      { step: 'restore', by: 'alice', decision: 'later' },
      { step: 'restore', by: '', decision: 'abort' },
      {},
    ],
  },
  {
    name: 'control',
    guard: checkControl,
    schema: controlRecord,
    samples: [
      { kind: 'approval-gate', note: 'deploys need two approvals', by: 'alice' },
      { kind: 'prompt-change', note: 'told it not to', by: 'alice' },
      { kind: 'scrub-rule', note: '', by: 'alice' },
      { kind: 'scrub-rule', note: 'x', by: '' },
    ],
  },
  {
    name: 'alert',
    guard: checkAlert,
    schema: alertNotice,
    samples: [
      { source: 'alertmanager', status: 'firing', fingerprint: 'fp', summary: 'key leaked', receivedAt: '2026-11-22T03:12:09.120Z' },
      { source: 'alertmanager', status: 'resolved', fingerprint: 'fp', summary: '', receivedAt: '2026-11-22T03:12:09-05:00' },
      { source: 'Alertmanager', status: 'firing', fingerprint: 'fp', summary: 's', receivedAt: '2026-11-22T03:12:09Z' },
      { source: 'am', status: 'pending', fingerprint: 'fp', summary: 's', receivedAt: '2026-11-22T03:12:09Z' },
      { source: 'am', status: 'firing', fingerprint: '', summary: 's', receivedAt: '2026-11-22T03:12:09Z' },
      { source: 'am', status: 'firing', fingerprint: 'f'.repeat(301), summary: 's', receivedAt: '2026-11-22T03:12:09Z' },
      { source: 'am', status: 'firing', fingerprint: 'fp', summary: 's'.repeat(501), receivedAt: '2026-11-22T03:12:09Z' },
      { source: 'am', status: 'firing', fingerprint: 'fp', summary: 's', receivedAt: '2026-11-22T03:12Z' },
      { source: 'am', status: 'firing', fingerprint: 'fp', summary: 's', receivedAt: 'yesterday' },
    ],
  },
  {
    name: 'pause',
    guard: checkPause,
    schema: pauseRequest,
    samples: [{ by: 'alice' }, { by: 'alice', reason: 'checking' }, { by: '' }, { reason: 'x' }, { by: 'alice', reason: 7 }],
  },
  {
    name: 'resume',
    guard: checkResume,
    schema: resumeRequest,
    samples: [{ by: 'alice' }, { by: 'alice', comment: 'done' }, { by: '' }, { by: 'alice', comment: 'x'.repeat(2001) }],
  },
];

/** The first path segment of each issue: where the payload is wrong. */
const wrongAt = (issues: string[]) => [...new Set(issues.map((i) => i.split(':')[0]!.split('.')[0]!))].sort();

describe('signal payload guards', () => {
  for (const { name, guard, schema, samples } of cases) {
    it(`${name}: the same verdict, value and wrong fields as its zod schema`, () => {
      let refused = 0;
      for (const raw of samples) {
        const expected = schema.safeParse(raw);
        const got = guard(raw);
        const shown = JSON.stringify(raw)?.slice(0, 120);
        assert.equal(got.ok, expected.success, `${name} ${shown}: guard ${got.ok ? 'accepted' : `refused (${got.ok ? '' : got.issues.join('; ')})`}`);
        if (got.ok && expected.success) assert.deepEqual(got.value, expected.data, `${name} ${shown}`);
        if (!got.ok && !expected.success) {
          refused++;
          const zodAt = wrongAt(expected.error.issues.map((i) => `${i.path.length ? i.path.map(String).join('.') : '(input)'}: ${i.message}`));
          assert.deepEqual(wrongAt(got.issues), zodAt, `${name} ${shown}: ${got.issues.join('; ')}`);
        }
      }
      // Each table has payloads on both sides of the line.
      assert.ok(refused > 0 && refused < samples.length, `${name}: ${refused} of ${samples.length} refused`);
    });
  }
});
