/**
 * A model provider of our own for a real OpenClaw gateway under test: OpenAI-compatible
 * (`POST /v1/chat/completions`, streamed or not, and `GET /v1/models`), on 127.0.0.1, with no
 * key and no internet. OpenClaw reaches it as `models.providers.<id>` with
 * `api: "openai-completions"` (see {@link ModelStub.providerConfig}).
 *
 * It is scriptable and it records: every request is kept (system prompt, last user message,
 * tools offered), so a test can ask what the agent was told, e.g. whether MEMORY.md was in
 * its system prompt.
 *
 * Default script, driven by the user's message:
 * - `RUN_EXEC:<shell command>` at the start of the message → one `exec` tool call with that
 *   command; once the tool has answered, a plain-text report of its result (`TOOL_RESULT: …`).
 *   Never a second call, so a background reviewer that re-reads the transcript cannot make
 *   it loop.
 * - anything else → `STUB_REPLY: <message>`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export const STUB_MODEL_ID = 'stub-model';

/** One chat message as the OpenAI chat-completions API carries it. */
export interface ChatMessage {
  role: string;
  content?: unknown;
  tool_calls?: { id: string; function: { name: string; arguments: string } }[];
  tool_call_id?: string;
}

/** What the stub saw in one request. */
export interface RecordedRequest {
  at: number;
  path: string;
  stream: boolean;
  model: string | undefined;
  messages: ChatMessage[];
  /** Every system (and developer) message's text, joined. */
  systemPrompt: string;
  /**
   * The text of the user messages since the model last spoke, joined: OpenClaw sends the
   * operator's message and then an internal-context message as two user messages.
   */
  lastUser: string;
  /** The last message's role. */
  lastRole: string | undefined;
  /** The tool results since the model last spoke, joined; undefined when there are none. */
  toolResult: string | undefined;
  /** Names of the tools the agent offered the model. */
  toolNames: string[];
}

/** What the stub answers: text, or a request to call one tool. */
export type StubReply = { text: string } | { toolCall: { name: string; arguments: Record<string, unknown> } };

export type StubScript = (request: RecordedRequest) => StubReply;

export interface ModelStub {
  /** `http://127.0.0.1:<port>/v1` */
  baseUrl: string;
  port: number;
  /** Every chat request so far, oldest first. */
  readonly requests: readonly RecordedRequest[];
  /** Replace the script (the default one is {@link defaultScript}). */
  setScript(script: StubScript): void;
  /** Forget the recorded requests. */
  clear(): void;
  /** Resolve when a request matching `predicate` has been (or is) recorded. */
  waitFor(predicate: (request: RecordedRequest) => boolean, timeoutMs?: number): Promise<RecordedRequest>;
  /** The `models.providers.<id>` value for openclaw.json. */
  providerConfig(): Record<string, unknown>;
  close(): Promise<void>;
}

/** The text of a message's content, whether a string or an array of parts. */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((part) => (typeof part === 'string' ? part : part && typeof part === 'object' && 'text' in part ? String((part as { text: unknown }).text) : ''))
      .join('\n');
  }
  return '';
}

export const defaultScript: StubScript = (request) => {
  // Only at the start of the operator's message (after OpenClaw's `[timestamp] ` prefix): a
  // background reviewer quoting an old transcript must not trigger the tool again.
  const command = /^(?:\[[^\]\n]*\]\s*)?RUN_EXEC:([^\n]+)/.exec(request.lastUser.trimStart())?.[1]?.trim();
  if (request.toolResult !== undefined) return { text: `TOOL_RESULT: ${request.toolResult.slice(0, 2000)}` };
  if (command) return { toolCall: { name: 'exec', arguments: { command } } };
  return { text: `STUB_REPLY: ${request.lastUser.slice(0, 200)}` };
};

/** Start the stub on a free loopback port. */
export async function startModelStub(options: { port?: number; script?: StubScript } = {}): Promise<ModelStub> {
  const requests: RecordedRequest[] = [];
  const waiters: { predicate: (r: RecordedRequest) => boolean; resolve: (r: RecordedRequest) => void }[] = [];
  let script = options.script ?? defaultScript;
  let callCounter = 0;

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `model stub: ${String(error)}` } }));
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (req.method === 'GET' && path.endsWith('/models')) {
      json(res, 200, { object: 'list', data: [{ id: STUB_MODEL_ID, object: 'model', created: 0, owned_by: 'tourniquet' }] });
      return;
    }
    if (req.method !== 'POST' || !path.endsWith('/chat/completions')) {
      json(res, 404, { error: { message: `model stub: no route ${req.method} ${path}` } });
      return;
    }
    const body = JSON.parse(await readBody(req)) as { model?: string; stream?: boolean; messages?: ChatMessage[]; tools?: { function?: { name?: string } }[] };
    const messages = body.messages ?? [];
    const recorded: RecordedRequest = {
      at: Date.now(),
      path,
      stream: body.stream === true,
      model: body.model,
      messages,
      systemPrompt: messages
        .filter((m) => m.role === 'system' || m.role === 'developer')
        .map((m) => contentText(m.content))
        .join('\n'),
      lastUser: sinceModelSpoke(messages)
        .filter((m) => m.role === 'user')
        .map((m) => contentText(m.content))
        .join('\n'),
      lastRole: messages.at(-1)?.role,
      toolResult: toolResultSince(messages),
      toolNames: (body.tools ?? []).map((t) => t.function?.name ?? '').filter(Boolean),
    };
    requests.push(recorded);
    for (const waiter of waiters.splice(0)) {
      if (waiter.predicate(recorded)) waiter.resolve(recorded);
      else waiters.push(waiter);
    }

    const reply = script(recorded);
    const id = `chatcmpl-stub-${requests.length}`;
    const created = Math.floor(Date.now() / 1000);
    const model = body.model ?? STUB_MODEL_ID;
    const toolCall =
      'toolCall' in reply
        ? {
            index: 0,
            id: `call_stub_${++callCounter}`,
            type: 'function',
            function: { name: reply.toolCall.name, arguments: JSON.stringify(reply.toolCall.arguments) },
          }
        : undefined;
    const finish = toolCall ? 'tool_calls' : 'stop';
    const usage = { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 };

    if (!recorded.stream) {
      const message = toolCall
        ? { role: 'assistant', content: null, tool_calls: [toolCall] }
        : { role: 'assistant', content: (reply as { text: string }).text };
      json(res, 200, { id, object: 'chat.completion', created, model, choices: [{ index: 0, message, finish_reason: finish }], usage });
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    const chunk = (delta: Record<string, unknown>, finishReason: string | null, extra: Record<string, unknown> = {}) =>
      res.write(
        `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, finish_reason: finishReason }], ...extra })}\n\n`,
      );
    chunk({ role: 'assistant', content: '' }, null);
    if (toolCall) chunk({ tool_calls: [toolCall] }, null);
    else chunk({ content: (reply as { text: string }).text }, null);
    chunk({}, finish, { usage });
    res.end('data: [DONE]\n\n');
  }

  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
  const baseUrl = `http://127.0.0.1:${port}/v1`;

  return {
    baseUrl,
    port,
    requests,
    setScript(next) {
      script = next;
    },
    clear() {
      requests.length = 0;
    },
    waitFor(predicate, timeoutMs = 120_000) {
      const seen = requests.find(predicate);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`model stub: no matching request within ${timeoutMs} ms (${requests.length} recorded)`)), timeoutMs);
        waiters.push({
          predicate,
          resolve: (r) => {
            clearTimeout(timer);
            resolve(r);
          },
        });
      });
    },
    providerConfig() {
      return {
        baseUrl,
        apiKey: 'sk-tourniquet-stub',
        api: 'openai-completions',
        models: [{ id: STUB_MODEL_ID, name: 'tourniquet stub', contextWindow: 128000, maxTokens: 4096 }],
      };
    },
    close() {
      return new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
}

/** The messages after the last assistant message. */
function sinceModelSpoke(messages: ChatMessage[]): ChatMessage[] {
  let last = -1;
  messages.forEach((m, i) => {
    if (m.role === 'assistant') last = i;
  });
  return messages.slice(last + 1);
}

function toolResultSince(messages: ChatMessage[]): string | undefined {
  const results = sinceModelSpoke(messages).filter((m) => m.role === 'tool');
  return results.length ? results.map((m) => contentText(m.content)).join('\n') : undefined;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
