/**
 * Hand-written guards of the incident's signal and update payloads: the same verdicts as the
 * zod schemas in `payloads.ts` (a unit test holds them to it), without zod. The workflow uses
 * these: every module it imports is evaluated again for each new incident and kept by each
 * cached one, and zod costs milliseconds and megabytes there. Like the schemas, a guard drops
 * unknown fields and trims spaces out of a code.
 */
import { CONTROL_KIND_RULE, CONTROL_KINDS } from './catalogue';
import type { AlertNotice, ApprovalDecision, ControlInput, DecideRequest, DenyDecision, OperatorDecision, PauseRequest, ResumeRequest } from './payloads';

/** A payload that passed, with only its known fields, or the `path: message` lines of what did not. */
export type Guarded<T> = { ok: true; value: T } | { ok: false; issues: string[] };

/** RFC 3339 date-time with seconds and a `Z` or `±hh:mm` offset, as `z.iso.datetime({ offset: true })` takes it. */
const ISO_DATETIME =
  /^(?:(?:\d\d[2468][048]|\d\d[13579][26]|\d\d0[48]|[02468][048]00|[13579][26]00)-02-29|\d{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12]\d|3[01])|(?:0[469]|11)-(?:0[1-9]|[12]\d|30)|(?:02)-(?:0[1-9]|1\d|2[0-8])))T(?:(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d+)?(?:Z|([+-](?:[01]\d|2[0-3]):[0-5]\d)))$/;
const SOURCE = /^[a-z][a-z0-9-]{0,39}$/;

/** Reads one object's fields, collecting an issue per bad field. */
class Fields {
  readonly issues: string[] = [];
  readonly out: Record<string, unknown> = {};
  constructor(private readonly raw: Record<string, unknown>) {}

  private bad(key: string, message: string): this {
    this.issues.push(`${key}: ${message}`);
    return this;
  }

  /** A string within `min`..`max` characters; `why` is the message for an empty one. */
  string(key: string, o: { min?: number; max?: number; why?: string; optional?: boolean } = {}): this {
    const v = this.raw[key];
    if (v === undefined && o.optional) return this;
    if (typeof v !== 'string') return this.bad(key, `Invalid input: expected string, received ${kindOf(v)}`);
    if (o.min !== undefined && v.length < o.min) return this.bad(key, o.why ?? `Too small: expected string to have >=${o.min} characters`);
    if (o.max !== undefined && v.length > o.max) return this.bad(key, `Too big: expected string to have <=${o.max} characters`);
    this.out[key] = v;
    return this;
  }

  /** One of `options`; `why` replaces the default message. */
  oneOf(key: string, options: readonly string[], why?: string): this {
    const v = this.raw[key];
    if (typeof v !== 'string' || !options.includes(v)) return this.bad(key, why ?? `Invalid option: expected one of ${options.map((o) => `"${o}"`).join('|')}`);
    this.out[key] = v;
    return this;
  }

  /** A string matching `pattern`. */
  matching(key: string, pattern: RegExp, why: string, optional = false): this {
    const v = this.raw[key];
    if (v === undefined && optional) return this;
    if (typeof v !== 'string') return this.bad(key, `Invalid input: expected string, received ${kindOf(v)}`);
    if (!pattern.test(v)) return this.bad(key, why);
    this.out[key] = v;
    return this;
  }

  /** An optional boolean. */
  flag(key: string): this {
    const v = this.raw[key];
    if (v === undefined) return this;
    if (typeof v !== 'boolean') return this.bad(key, `Invalid input: expected boolean, received ${kindOf(v)}`);
    this.out[key] = v;
    return this;
  }

  /** The proof fields of a decision (`proofFields`): an optional code, signature and its time. */
  proof(): this {
    const code = this.raw.code;
    if (code !== undefined) {
      if (typeof code !== 'string') this.bad('code', `Invalid input: expected string, received ${kindOf(code)}`);
      else if (!/^\d{6}$/.test(code.replace(/\s+/g, ''))) this.bad('code', 'code must be the 6 digits your authenticator app shows now');
      else this.out.code = code.replace(/\s+/g, '');
    }
    const signature = this.raw.signature;
    if (signature !== undefined) {
      if (typeof signature !== 'string') this.bad('signature', `Invalid input: expected string, received ${kindOf(signature)}`);
      else if (!signature.includes('BEGIN SSH SIGNATURE')) this.bad('signature', 'signature must be the armored output of ssh-keygen -Y sign');
      else if (signature.length > 10_000) this.bad('signature', 'Too big: expected string to have <=10000 characters');
      else this.out.signature = signature;
    }
    return this.matching('signedAt', ISO_DATETIME, 'Invalid ISO datetime', true);
  }

  /** The decision's proofs agree with each other (`oneProof`); checked once the fields are well-formed. */
  oneProof(): this {
    if (this.issues.length) return this;
    if (this.out.code !== undefined && this.out.signature !== undefined) this.bad('code', 'send a code or a signature, not both');
    if (this.out.signature !== undefined && this.out.signedAt === undefined) this.bad('signedAt', 'a signature needs the signedAt time it covers');
    return this;
  }

  done<T>(): Guarded<T> {
    return this.issues.length ? { ok: false, issues: this.issues } : { ok: true, value: this.out as T };
  }
}

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

/** Start on a payload that must be a plain object. */
function fields<T>(raw: unknown, read: (f: Fields) => Fields): Guarded<T> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    return { ok: false, issues: [`(input): Invalid input: expected object, received ${kindOf(raw)}`] };
  return read(new Fields(raw as Record<string, unknown>)).done<T>();
}

const approvalFields = (f: Fields) =>
  f
    .string('step', { min: 1, why: 'name the step being approved' })
    .string('by', { min: 1, why: 'say who approves ("by")' })
    .string('comment', { max: 2000, optional: true })
    .proof();

const denyFields = (f: Fields) =>
  f
    .string('step', { min: 1, why: 'name the step being denied' })
    .string('by', { min: 1, why: 'say who denies ("by")' })
    .string('reason', { min: 1, max: 2000, why: 'give a reason' })
    .proof();

/** The `approve` signal's payload (`approvalDecision`). */
export const checkApproval = (raw: unknown): Guarded<ApprovalDecision> => fields(raw, (f) => approvalFields(f).oneProof());

/** The `deny` signal's payload (`denyDecision`). */
export const checkDeny = (raw: unknown): Guarded<DenyDecision> => fields(raw, (f) => denyFields(f).oneProof());

/** The `decide` update's argument (`decideRequest`): an approval or a denial, by its `decision`. */
export function checkDecide(raw: unknown): Guarded<DecideRequest> {
  return fields(raw, (f) => {
    const decision = (raw as { decision?: unknown }).decision;
    if (decision === 'approve') return approvalFields(f.oneOf('decision', ['approve'])).oneProof();
    if (decision === 'deny') return denyFields(f.oneOf('decision', ['deny'])).oneProof();
    return f.oneOf('decision', ['approve', 'deny']);
  });
}

/** The `operator` signal's payload (`operatorDecision`). */
export const checkOperator = (raw: unknown): Guarded<OperatorDecision> =>
  fields(raw, (f) =>
    f
      .string('step', { min: 1, why: 'name the failed step' })
      .string('by', { min: 1, why: 'say who decides ("by")' })
      .oneOf('decision', ['retry', 'skip', 'abort'])
      .string('comment', { max: 2000, optional: true }),
  );

/** The `control` signal's payload (`controlRecord`). */
export const checkControl = (raw: unknown): Guarded<ControlInput> =>
  fields(raw, (f) =>
    f.oneOf('kind', CONTROL_KINDS, CONTROL_KIND_RULE).string('note', { min: 1, max: 2000 }).string('by', { min: 1, why: 'say who records it ("by")' }),
  );

/** The `alert` signal's payload (`alertNotice`). */
export const checkAlert = (raw: unknown): Guarded<AlertNotice> =>
  fields(raw, (f) =>
    f
      .matching('source', SOURCE, 'name the sender, e.g. "alertmanager"')
      .oneOf('status', ['firing', 'resolved'])
      .string('fingerprint', { min: 1, max: 300 })
      .string('summary', { max: 500 })
      .matching('receivedAt', ISO_DATETIME, 'Invalid ISO datetime')
      .string('note', { max: 500, optional: true })
      .string('follows', { min: 1, max: 300, optional: true })
      .flag('raiseSeverity'),
  );

/** The `pause` signal's payload (`pauseRequest`). */
export const checkPause = (raw: unknown): Guarded<PauseRequest> =>
  fields(raw, (f) => f.string('by', { min: 1, why: 'say who pauses ("by")' }).string('reason', { max: 2000, optional: true }));

/** The `resume` signal's payload (`resumeRequest`). */
export const checkResume = (raw: unknown): Guarded<ResumeRequest> =>
  fields(raw, (f) => f.string('by', { min: 1, why: 'say who resumes ("by")' }).string('comment', { max: 2000, optional: true }));
