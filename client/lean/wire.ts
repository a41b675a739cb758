/**
 * gRPC unary calls over Node's own HTTP/2, with the cut schema (descriptor.ts) and protobufjs'
 * light build: what `list` and `status` need, without loading @grpc/grpc-js (~100 ms) and
 * the SDK's whole schema (~200 ms) first. Speaks to the server as the SDK's connection does:
 * same address, TLS (CA, client certificate and key, server name) and API key, the namespace
 * in the `temporal-namespace` header.
 */
import { existsSync, readFileSync } from 'node:fs';
import { connect, type ClientHttp2Session, type IncomingHttpHeaders } from 'node:http2';
// The reflection-only build: no .proto parser. The compiled CLI carries it in this module's
// chunk (cli/build.ts), one file instead of some thirty small CommonJS modules to resolve.
import protobuf from 'protobufjs/light.js';
import type { Root, Type } from 'protobufjs';
import type { Config } from '../../common/config';
import { DESCRIPTOR_PATH, protoVersion, SERVICE, type LeanDescriptorFile, type LeanMethod } from './descriptor';

/** A gRPC status other than OK. `code` 5 is NOT_FOUND. */
export class GrpcStatusError extends Error {
  constructor(
    /** The gRPC status code. */
    readonly code: number,
    message: string,
  ) {
    super(`${code} ${message}`);
  }
}

/** Thrown for an answer the lean client does not understand: the caller asks through the SDK instead. */
export class NotLean extends Error {}

/**
 * The schema, when the build wrote it from the @temporalio/proto that is installed now;
 * undefined otherwise (not built, or the SDK changed since): the SDK serves instead.
 */
function loadSchema(given?: LeanDescriptorFile): Root | undefined {
  if (!given && !existsSync(DESCRIPTOR_PATH)) return undefined;
  const file = given ?? (JSON.parse(readFileSync(DESCRIPTOR_PATH, 'utf8')) as LeanDescriptorFile);
  if (file.protoVersion !== protoVersion()) return undefined;
  return protobuf.Root.fromJSON(file.schema);
}

export interface Wire {
  /** One unary call: the decoded response, or a GrpcStatusError / NotLean. */
  call(method: LeanMethod, request: Record<string, unknown>): Promise<Record<string, unknown>>;
  close(): void;
}

/** How long a call waits for its answer; the TCP probe has already seen the server listen. */
const CALL_TIMEOUT_MS = 10_000;

/** A session with the server; `descriptor`: the schema cut to use instead of the built one (tests). */
export function openWire(server: Config['server'], descriptor?: LeanDescriptorFile): Wire | undefined {
  const root = loadSchema(descriptor);
  if (!root) return undefined;
  const service = root.lookupService(SERVICE);
  const types = (method: LeanMethod) => {
    const m = service.methods[method]!;
    return { req: root.lookupType(m.requestType), res: root.lookupType(m.responseType) };
  };
  const tls = server.tls;
  const secure = Boolean(tls || server.apiKey);
  const session: ClientHttp2Session = connect(`${secure ? 'https' : 'http'}://${server.address}`, {
    ...(tls?.serverCaPath ? { ca: readFileSync(tls.serverCaPath) } : {}),
    ...(tls?.clientCertPath && tls.clientKeyPath ? { cert: readFileSync(tls.clientCertPath), key: readFileSync(tls.clientKeyPath) } : {}),
    ...(tls?.serverName ? { servername: tls.serverName } : {}),
  });
  // A failed session rejects the call on it; nothing else listens.
  session.on('error', () => undefined);
  // The session holds the process open only while a call is in flight: a command that has
  // its answer ends without closing it.
  session.unref();
  let inFlight = 0;
  const track = async <T>(call: Promise<T>): Promise<T> => {
    if (inFlight++ === 0) session.ref();
    try {
      return await call;
    } finally {
      if (--inFlight === 0) session.unref();
    }
  };
  const headers = {
    'content-type': 'application/grpc',
    te: 'trailers',
    'grpc-timeout': `${CALL_TIMEOUT_MS}m`,
    'temporal-namespace': server.namespace,
    ...(tls?.serverName ? { ':authority': tls.serverName } : {}),
    ...(server.apiKey ? { authorization: `Bearer ${server.apiKey.reveal()}` } : {}),
  };
  return {
    call: (method, request) => {
      const { req, res } = types(method);
      return track(unary(session, { ...headers, ':method': 'POST', ':path': `/${SERVICE}/${method}` }, req, res, request));
    },
    close: () => session.close(),
  };
}

function unary(session: ClientHttp2Session, headers: Record<string, string>, req: Type, res: Type, request: Record<string, unknown>) {
  const body = req.encode(req.fromObject(request)).finish();
  const frame = Buffer.alloc(5 + body.length);
  frame.writeUInt32BE(body.length, 1);
  frame.set(body, 5);
  return new Promise<Record<string, unknown>>((resolve, reject) => {
    const stream = session.request(headers, { endStream: false });
    const chunks: Buffer[] = [];
    let head: IncomingHttpHeaders = {};
    let trailers: IncomingHttpHeaders = {};
    // The server ends the call itself on `grpc-timeout`; this is for one that never answers.
    const timer = setTimeout(() => stream.close(), CALL_TIMEOUT_MS + 1_000);
    stream.on('response', (h) => (head = h));
    stream.on('trailers', (t) => (trailers = t));
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('error', (err) => reject(new NotLean(err.message)));
    stream.on('close', () => {
      clearTimeout(timer);
      try {
        resolve(answer(head, trailers, Buffer.concat(chunks), res));
      } catch (err) {
        reject(err as Error);
      }
    });
    stream.end(frame);
  });
}

/** The response message from the headers, trailers and body of a finished call. */
function answer(head: IncomingHttpHeaders, trailers: IncomingHttpHeaders, body: Buffer, res: Type): Record<string, unknown> {
  // A call that fails at once answers with headers only ("trailers-only"): the status is there.
  const status = trailers['grpc-status'] ?? head['grpc-status'];
  if (Number(head[':status']) !== 200 || status === undefined) throw new NotLean(`no gRPC status (HTTP ${String(head[':status'])})`);
  if (status !== '0') {
    const message = String(trailers['grpc-message'] ?? head['grpc-message'] ?? '');
    throw new GrpcStatusError(Number(status), decodeURIComponent(message));
  }
  // One message: a compressed-flag byte (the call asked for none), its length, the bytes.
  if (body.length < 5 || body[0] !== 0) throw new NotLean('unexpected response framing');
  const length = body.readUInt32BE(1);
  if (body.length !== 5 + length) throw new NotLean('unexpected response length');
  return res.decode(body.subarray(5)) as unknown as Record<string, unknown>;
}
