// An OpAMP server for tests, written from the specification's HTTP transport. It decodes with
// code generated from the official opamp.proto (shipped by @elastic/mockopampserver), not with
// the client's own schema, so that both sides are checked against the spec independently.
// Like real servers it resends the remote config until the agent reports it APPLIED (and keeps
// resending after FAILED), and asks for ReportFullState when it sees a sequence gap.

import { createHash } from 'crypto';
import * as http from 'http';
import * as https from 'https';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import * as pb from '@elastic/mockopampserver/lib/generated/opamp_pb.js';
import { DEADLINE_MS } from './wait';

export type AgentToServer = ReturnType<typeof fromBinary<typeof pb.AgentToServerSchema>>;

export interface Received {
  a2s: AgentToServer;
  headers: http.IncomingHttpHeaders;
  at: number;
}

/** Replaces the normal answer for one request: status, headers and a raw body. */
export type Fault = (req: Received) => { status: number; headers?: Record<string, string>; body: Buffer } | undefined;
/** Takes over the response entirely (cut it, reset it, stall it); returns true when it did. */
export type RawFault = (req: Received, res: http.ServerResponse) => boolean;
/** Fields laid over the normal ServerToAgent (new_instance_uid, other capabilities, …). */
export type Extra = (req: Received) => Record<string, unknown> | undefined;

export class SpecOpampServer {
  received: Received[] = [];
  private server: http.Server | https.Server;
  private configMap?: Record<string, { body: Uint8Array; contentType: string }>;
  private configHash?: Uint8Array;
  private lastSeq = new Map<string, bigint>();
  private waiters: Array<() => void> = [];
  faults: Fault[] = [];
  rawFaults: RawFault[] = [];
  extras: Extra[] = [];
  heartbeatSeconds?: number | bigint;
  forceFullState = false;
  endpoint = '';

  constructor(tls?: https.ServerOptions) {
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => this.handle(req, res);
    this.server = tls ? https.createServer(tls, handler) : http.createServer(handler);
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', () => resolve()));
    const { port } = this.server.address() as { port: number };
    this.endpoint = `${this.server instanceof https.Server ? 'https' : 'http'}://127.0.0.1:${port}/v1/opamp`;
    return this;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections?.();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** Offers this config map (JSON bodies, or another content type for all entries) from the next response on. */
  setConfig(entries: Record<string, unknown>, contentType = 'application/json'): Uint8Array {
    this.configMap = Object.fromEntries(Object.entries(entries).map(([k, v]) => [k, { body: Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)), contentType }]));
    const hash = createHash('sha256');
    for (const [k, v] of Object.entries(this.configMap)) hash.update(k).update(v.body);
    this.configHash = new Uint8Array(hash.digest());
    return this.configHash;
  }

  waitFor(check: (r: Received[]) => boolean, ms = DEADLINE_MS, what = 'an AgentToServer'): Promise<void> {
    if (check(this.received)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}; got ${this.received.length} requests`)), ms);
      const waiter = () => {
        if (!check(this.received)) return;
        clearTimeout(timer);
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        resolve();
      };
      this.waiters.push(waiter);
    });
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.headers['content-type'] !== 'application/x-protobuf') {
        res.writeHead(400).end('OpAMP HTTP requires POST with Content-Type: application/x-protobuf');
        return;
      }
      let a2s: AgentToServer;
      try {
        a2s = fromBinary(pb.AgentToServerSchema, Buffer.concat(chunks));
      } catch {
        res.writeHead(400).end('malformed AgentToServer');
        return;
      }
      const received = { a2s, headers: req.headers, at: Date.now() };
      this.received.push(received);
      for (const w of [...this.waiters]) w();
      for (const fault of this.rawFaults) if (fault(received, res)) return;
      for (const fault of this.faults) {
        const answer = fault(received);
        if (answer) {
          res.writeHead(answer.status, answer.headers ?? {}).end(answer.body);
          return;
        }
      }
      res.writeHead(200, { 'Content-Type': 'application/x-protobuf' }).end(this.encodedAnswer(received));
    });
  }

  /** The normal answer to this request, encoded (raw faults cut or compress it). */
  encodedAnswer(received: Received): Buffer {
    const init: Record<string, unknown> = this.answer(received.a2s);
    for (const extra of this.extras) Object.assign(init, extra(received) ?? {});
    return Buffer.from(toBinary(pb.ServerToAgentSchema, create(pb.ServerToAgentSchema, init)));
  }

  private answer(a2s: AgentToServer) {
    const uid = Buffer.from(a2s.instanceUid).toString('hex');
    const previous = this.lastSeq.get(uid);
    this.lastSeq.set(uid, a2s.sequenceNum);
    let flags = 0n;
    if (this.forceFullState || (previous !== undefined && a2s.sequenceNum !== previous + 1n)) {
      flags |= BigInt(pb.ServerToAgentFlags.ServerToAgentFlags_ReportFullState);
      this.forceFullState = false;
    }
    const status = a2s.remoteConfigStatus;
    const applied = status && this.configHash && Buffer.from(status.lastRemoteConfigHash).equals(Buffer.from(this.configHash)) && status.status === pb.RemoteConfigStatuses.RemoteConfigStatuses_APPLIED;
    return {
      instanceUid: a2s.instanceUid,
      flags,
      capabilities: BigInt(pb.ServerCapabilities.ServerCapabilities_AcceptsStatus | pb.ServerCapabilities.ServerCapabilities_OffersRemoteConfig | pb.ServerCapabilities.ServerCapabilities_AcceptsEffectiveConfig),
      remoteConfig: this.configMap && !applied ? { config: { configMap: this.configMap }, configHash: this.configHash } : undefined,
      connectionSettings: this.heartbeatSeconds !== undefined ? { opamp: { heartbeatIntervalSeconds: BigInt(this.heartbeatSeconds) } } : undefined,
    };
  }
}

/** OpAMP KeyValue attributes as a plain object (agent description). */
export const attrs = (list: Array<{ key: string; value?: { value: { case?: string; value?: unknown } } }> = []) => Object.fromEntries(list.map((kv) => [kv.key, kv.value?.value.value]));

/** The effective config the agent reports under its own key, parsed; undefined when the message has none. */
export const effective = (a: AgentToServer) => {
  const file = a.effectiveConfig?.configMap?.configMap['otel-preload'];
  return file ? JSON.parse(Buffer.from(file.body).toString('utf8')) : undefined;
};

export const RemoteConfigStatuses = pb.RemoteConfigStatuses;
export const ServerErrorResponseTypeSchema = pb.ServerErrorResponseType;
export { pb };
