// The command helper: a small Node process that runs the worker's commands, so that each command
// forks this process (tens of MiB) instead of the worker (hundreds). A fork copies the parent's
// page tables on the calling thread: measured 9 ms at 600 MiB on a quiet machine, 30 ms under
// load, each time blocking the worker's event loop (activities, the SDK's polls); from here,
// about 2 ms. Plain JavaScript with Node's own modules only, so it starts at Node's own speed
// and stays small. It runs a command as execa does in the worker (runner/execa.ts: argument
// array, no shell, output captured and its final newline stripped, SIGTERM then SIGKILL 5 s
// later on a timeout or a cancel) and answers with the fields of an execa result.
//
// One request a line on stdin, one answer a line on stdout (JSON), matched by `id`:
//   {"id":1,"op":"run","file":"true","args":[],"env":{...},"cwd":"/x","input":"...","timeoutMs":5}
//   {"id":1,"op":"cancel"}
//   {"id":1,"exitCode":0,"stdout":"","stderr":"","failed":false,"timedOut":false,"isCanceled":false}
// The end of stdin (the worker exited, however it exited) ends the helper: commands still running
// are left as a worker's own children would be.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';

const FORCE_KILL_AFTER_MS = 5_000;
const MAX_BUFFER = 100_000_000;

const running = new Map();
const answer = (message) => process.stdout.write(`${JSON.stringify(message)}\n`);
const quote = (arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", "'\\''")}'`);
const stripFinalNewline = (text) => text.replace(/\r?\n$/, '');

function run(request) {
  const commandLine = [request.file, ...request.args].map(quote).join(' ');
  let child;
  try {
    child = spawn(request.file, request.args, {
      env: request.env,
      ...(request.cwd ? { cwd: request.cwd } : {}),
      stdio: [request.input !== undefined ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    });
  } catch (err) {
    answer({
      id: request.id,
      stdout: '',
      stderr: '',
      failed: true,
      timedOut: false,
      isCanceled: false,
      shortMessage: `Command failed: ${commandLine}\n${err.message}`,
    });
    return;
  }
  const out = { stdout: [], stderr: [], size: 0 };
  let startError, stopReason, overflow, forceKill, timer;
  const stop = (reason) => {
    if (stopReason || child.exitCode !== null || child.signalCode !== null) return;
    stopReason = reason;
    child.kill('SIGTERM');
    forceKill = setTimeout(() => child.kill('SIGKILL'), FORCE_KILL_AFTER_MS);
  };
  const collect = (stream) => (chunk) => {
    out.size += chunk.length;
    if (out.size > MAX_BUFFER) {
      overflow ??= stream;
      stop('overflow');
    } else out[stream].push(chunk);
  };
  child.stdout.on('data', collect('stdout'));
  child.stderr.on('data', collect('stderr'));
  if (request.input !== undefined) {
    child.stdin.on('error', () => undefined); // a program that does not read its input
    child.stdin.end(request.input);
  }
  if (request.timeoutMs) timer = setTimeout(() => stop('timeout'), request.timeoutMs);
  running.set(request.id, () => stop('cancel'));
  child.on('error', (err) => (startError = err));
  child.on('close', (code, signal) => {
    clearTimeout(timer);
    clearTimeout(forceKill);
    running.delete(request.id);
    const text = (stream) => stripFinalNewline(Buffer.concat(out[stream]).toString('utf8'));
    const base = { id: request.id, stdout: text('stdout'), stderr: text('stderr'), timedOut: stopReason === 'timeout', isCanceled: stopReason === 'cancel' };
    if (startError && child.pid === undefined) {
      // Node says ENOENT for a missing working folder too: say which is missing.
      const where = request.cwd && !existsSync(request.cwd) ? `\nthe working folder ${request.cwd} does not exist` : '';
      answer({ ...base, failed: true, shortMessage: `Command failed with ${startError.code ?? 'an error'}: ${commandLine}${where}\n${startError.message}` });
    } else if (overflow) answer({ ...base, failed: true, shortMessage: `Command's ${overflow} was larger than ${MAX_BUFFER} bytes: ${commandLine}` });
    else if (signal !== null) answer({ ...base, failed: true, shortMessage: `Command was killed with ${signal}: ${commandLine}` });
    else answer({ ...base, exitCode: code, failed: code !== 0 });
  });
}

createInterface({ input: process.stdin })
  .on('line', (line) => {
    const request = JSON.parse(line);
    if (request.op === 'run') run(request);
    else if (request.op === 'cancel') running.get(request.id)?.();
  })
  .on('close', () => process.exit(0));
