/**
 * Runs one step in a Node process of its own, as a worker would, prints its result as one
 * JSON line, then stays up until killed: so a test can kill "the worker" that started a service.
 *
 *   node --import tsx test/helpers/step-process.ts <home> <workflowId> <action> <stepId> <args json>
 */
import type { ActivityActionName } from '../../contract';
import { harness } from './activity';

const [home, workflowId, action, stepId, args] = process.argv.slice(2);
if (!home || !workflowId || !action || !stepId || !args) {
  console.error('usage: step-process <home> <workflowId> <action> <stepId> <args json>');
  process.exit(2);
}
const h = harness({ home });
try {
  const result = await h.call(action as ActivityActionName, stepId, JSON.parse(args), { workflowId });
  process.stdout.write(`${JSON.stringify({ ok: true, result })}\n`);
} catch (err) {
  process.stdout.write(`${JSON.stringify({ ok: false, message: (err as Error).message })}\n`);
}
setInterval(() => {}, 60_000);
