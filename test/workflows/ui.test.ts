/**
 * End to end through the real Temporal Web UI served by the dev server: open the incident in
 * headless Chromium (Debian's `chromium`, driven by playwright-core), approve the waiting step
 * through the UI's "Send a Signal" form with the approver's current authenticator code, and
 * check that the incident moved on.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { chromium, type BrowserContext } from 'playwright-core';
import { getProgress } from '../../client/incidents';
import { enrollApprover } from '../../common/approvers';
import { base32Decode, timeStep, totpCode } from '../../common/totp';
import { tempDir } from '../helpers/activity';
import { startTestStack, waitFor, type TestServer, type TestStack } from '../helpers/temporal';
import { startDraft } from '../helpers/start';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const missing = existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing (apt-get install chromium); the browser test is skipped`;
if (missing) console.log(`# ${missing}`);

let env: TestServer;
let stack: TestStack;
let browser: BrowserContext;
const taskQueue = `ui-${randomUUID()}`;
const shots = mkdtempSync(join(tmpdir(), 'tourniquet-ui-'));
const home = tempDir('tourniquet-ui-home-');
const approversFile = join(home, 'approvers.json');
let secret: string;

before(async () => {
  if (missing) return;
  secret = enrollApprover(approversFile, 'ui-operator', { randomBytes, now: new Date() }).secret;
  stack = await startTestStack({ taskQueue, home, approversFile, ui: true });
  ({ env } = stack);
  // A fresh profile for every run: nothing from an earlier session leaks in.
  browser = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'tourniquet-chromium-')), {
    executablePath: CHROMIUM,
    args: ARGS,
    viewport: { width: 1400, height: 1000 },
  });
});

after(async () => {
  if (missing) return;
  await browser.close();
  await stack.stop();
});

it("approves a waiting step through the Temporal UI's Send a Signal form", { skip: missing }, async () => {
  const { id, handle } = await startDraft(
    env.client,
    {
      class: 'runaway-automation',
      severity: 'S2',
      title: 'cron job sending the same message',
      steps: [
        { id: 'disable-job', action: 'runCommand', args: { argv: ['true'] } },
        { id: 're-enable-job', action: 'runCommand', approval: { required: true, identity: 'proven' }, args: { argv: ['true'] } },
      ],
    },
    { taskQueue },
  );
  await waitFor('the gate', async () => ((await getProgress(env.client, id)).state === 'awaiting-approval' ? true : undefined));

  const page = await browser.newPage();
  await page.goto(`${env.uiUrl}/namespaces/default/workflows/${id}`);
  await page.getByRole('button', { name: 'More Actions' }).first().click();
  await page.getByRole('menuitem', { name: 'Send a Signal' }).click();
  const dialog = page.getByRole('dialog').filter({ hasText: 'Send a Signal' });
  await dialog.getByTestId('signal-select-button').click();
  // The UI lists the incident's signals with their descriptions (from the workflow's metadata).
  const option = dialog.getByRole('option').filter({ hasText: 'Approve a waiting step' });
  assert.match(await option.innerText(), /^\s*approve\b/);
  await option.click();
  const data = dialog.getByRole('textbox', { name: 'Data' });
  await data.click();
  // What the operator's authenticator app shows now, typed as the app groups it.
  const code = totpCode(base32Decode(secret), timeStep(new Date()));
  await page.keyboard.insertText(
    `{"step": "re-enable-job", "by": "ui-operator", "code": "${code.slice(0, 3)} ${code.slice(3)}", "comment": "approved from the Temporal UI"}`,
  );
  await page.screenshot({ path: join(shots, 'send-signal.png') });
  await dialog.getByRole('button', { name: 'Submit' }).click();
  // A click on a busy machine can land before the form is ready: the dialog then stays open.
  // Submit again in that case (a second approval by the same person is refused, never counted).
  if (
    !(await dialog.waitFor({ state: 'hidden', timeout: 10_000 }).then(
      () => true,
      () => false,
    ))
  ) {
    await dialog.getByRole('button', { name: 'Submit' }).click();
  }

  // Bounded: a signal that never arrives fails the test instead of hanging the suite.
  await waitFor(
    'the approval from the UI to resolve the incident',
    async () => ((await getProgress(env.client, id)).state === 'resolved' ? true : undefined),
    120_000,
  );
  const result = await handle.result();
  assert.equal(result.state, 'resolved');
  assert.deepEqual(result.steps[1]!.approvedBy, ['ui-operator']);
  assert.match(result.timeline.find((e) => e.kind === 'approved')!.message, /approved by ui-operator \(authenticator code\): approved from the Temporal UI/);
  assert.equal(result.steps[1]!.decisions![0]!.proof, 'totp', 'the worker checked the code');
  await page.reload();
  await page.getByText('Completed', { exact: false }).first().waitFor({ timeout: 15_000 });
  await page.screenshot({ path: join(shots, 'completed.png'), fullPage: true });
  // The workflow's summary and details (user metadata) say what the incident is.
  await page.getByText('User Metadata', { exact: true }).first().click();
  // The UI renders user metadata (markdown) inside sandboxed frames: read every frame's text.
  const shown = await waitFor('the user metadata', async () => {
    const texts = await Promise.all(
      page.frames().map((f) =>
        f
          .locator('body')
          .innerText()
          .catch(() => ''),
      ),
    );
    const all = texts.join('\n');
    const wanted = ['S2 runaway-automation: cron job sending the same message', 're-enable-job: runCommand (needs approval)', 'approved by ui-operator'];
    return wanted.every((w) => all.includes(w)) ? all : undefined;
  });
  assert.match(shown, /state: resolved, phase: closed/, 'current details show the end state');
  await page.screenshot({ path: join(shots, 'user-metadata.png'), fullPage: true });
  console.log(`# screenshots in ${shots}`);
  await page.close();
});
