import { randomUUID } from 'node:crypto';
import { startTestStack } from '../test/helpers/temporal';
import { tempDir } from '../test/helpers/activity';
import { startDraft } from '../test/helpers/start';

const taskQueue = `la-${randomUUID()}`;
const stack = await startTestStack({ taskQueue, home: process.env.HOME_DIR ?? tempDir('la-home-') });
const client = stack.env.client;
const n = 200;
const freeze = { phase: 'freeze', timeouts: { startToClose: '30s' }, effects: { freezes: ['bench-agent'] } };
for (const variant of ['freeze', 'freeze']) {
  const draft = { class: 'runaway-automation', severity: 'S3', title: 'split', steps: Array.from({ length: n }, (_, i) => ({ id: `c${i}`, action: 'runCommand', args: { argv: ['true'] }, ...freeze })) };
  const { handle } = await startDraft(client, draft, { taskQueue });
  const p = await handle.result();
  const med = (a: number[]) => a.sort((x, y) => x - y)[Math.floor(a.length / 2)];
  const inside: number[] = [], between: number[] = [], spawn: number[] = [];
  p.steps.forEach((s, i) => {
    inside.push(Date.parse(s.endedAt!) - Date.parse(s.startedAt!));
    if (i) between.push(Date.parse(s.startedAt!) - Date.parse(p.steps[i - 1]!.endedAt!));
    const d = (s.result as any)?.durationMs; if (typeof d === 'number') spawn.push(d);
  });
  console.log(variant, 'inside', med(inside), 'between', med(between), 'spawn', med(spawn), 'gap', med(p.steps.slice(1).map((s, i) => Date.parse(s.endedAt!) - Date.parse(p.steps[i]!.endedAt!))));
  console.log(JSON.stringify(p.steps[5]).slice(0, 400));
}
await stack.stop();
