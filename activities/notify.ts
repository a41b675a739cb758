/**
 * notify: a status update, to a Slack-compatible webhook (`{"text": …}`) or to the worker's
 * log. Playbooks use it for the runbook's regular status updates. The text is redacted, and
 * a webhook URL read from an env file (Slack's are secrets) never enters history or logs.
 */
import type { ActionArgs, StepResult } from '../contract';
import type { ActivityDeps } from './deps';
import { StepError } from './errors';
import { fingerprint } from '../common/hash';
import { redactText } from '../common/secrets/detect';
import { readEnvFile } from './rotate/envfile';
import { defineStep, type StepIO } from './step';

type Notify = ActionArgs<'notify'>;

const MARK = { info: ':information_source:', warning: ':warning:', critical: ':rotating_light:' } as const;

/** The Slack-compatible body of one update. */
export function slackBody(incident: string, level: Notify['level'], text: string): { text: string } {
  return { text: `${MARK[level]} *${incident}* ${text}` };
}

function webhookUrl(channel: Extract<Notify['channel'], { kind: 'webhook' }>): { url: string; shown: string } {
  if (channel.urlFrom) {
    const { value } = readEnvFile(channel.urlFrom.envFile, channel.urlFrom.key);
    return { url: value, shown: `${channel.urlFrom.key} (${fingerprint(value)})` };
  }
  if (!channel.url) throw new StepError('InvalidArguments', 'notify: a webhook channel needs url or urlFrom');
  return { url: channel.url, shown: new URL(channel.url).origin };
}

async function send(deps: ActivityDeps, io: StepIO, args: Notify): Promise<StepResult> {
  // A retry after an attempt that may have posted says so, rather than posting a silent twin.
  const resent = (io.pending?.record as { sending?: boolean } | undefined)?.sending === true;
  const text = `${redactText(args.text).text}${resent ? ' (resent: an earlier attempt may have posted this)' : ''}`;
  if (args.channel.kind === 'log') {
    const log =
      args.level === 'info'
        ? deps.logger.info.bind(deps.logger)
        : args.level === 'warning'
          ? deps.logger.warn.bind(deps.logger)
          : deps.logger.error.bind(deps.logger);
    // `level` is pino's own key (the number): the update's level goes under a name of its own.
    log({ incident: io.key.workflowId, step: io.key.stepId, updateLevel: args.level, update: text }, 'status update');
    return { summary: `logged a ${args.level} status update`, data: { channel: 'log', level: args.level } };
  }
  const { url, shown } = webhookUrl(args.channel);
  io.markPending({ sending: true });
  let status: number;
  try {
    const response = await deps.fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(slackBody(io.key.workflowId, args.level, text)),
      redirect: 'manual',
      signal: AbortSignal.any([io.signal, AbortSignal.timeout(args.channel.timeoutMs)]),
    });
    status = response.status;
    await response.body?.cancel();
  } catch (err) {
    throw new StepError('VerificationFailed', `posting to ${shown} failed: ${(err as Error).message.replace(url, shown)}`);
  }
  if (status < 200 || status > 299) throw new StepError('VerificationFailed', `${shown} answered ${status} to the status update`);
  return { summary: `posted a ${args.level} status update to ${shown} (${status})`, data: { channel: 'webhook', to: shown, status, level: args.level } };
}

export function notifyActivities(deps: ActivityDeps) {
  const notify = defineStep(deps, 'notify', {
    plan: (args) => [
      args.channel.kind === 'log'
        ? { kind: 'write', detail: `log a ${args.level} status update: ${redactText(args.text).text}` }
        : { kind: 'http', detail: `POST a ${args.level} status update to ${webhookUrl(args.channel).shown}: ${redactText(args.text).text}` },
    ],
    run: (io, args) => send(deps, io, args),
  });
  return { notify };
}
