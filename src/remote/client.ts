// The OpAMP client over plain HTTP (OpAMP spec v0.18+): one request in flight, one up-to-date
// pending report, jittered heartbeats, status compression, ReportFullState, backoff with
// Retry-After / retry_info, remote config handled once per hash (applied as it arrives, its
// status reported on the next request: no request inside another). It never throws into the app
// and never keeps the process alive. Every interval it is handed is clamped (bounds.ts); shutdown
// aborts a request in flight instead of waiting for it.

import type { Logger } from '../log/logger';
import { heartbeatMillis, MIN_HEARTBEAT_MS, retryAfterMillis, retryMillis, serverHeartbeatMillis } from './bounds';
import { decodeServerToAgent, encodeAgentToServer, type AgentToServer, type ComponentHealth, type KeyValue, type ServerToAgent } from './codec';
import { OUR_CAPABILITIES, RemoteConfigStatuses, ServerErrorTypes, ServerToAgentFlags } from './schema';
import { post, type HttpAnswer, type TransportOptions } from './transport';
import type { ConfigMap } from './remote-config';
import { hex, uuidString, uuidv7 } from './ids';

// The small pure parts live in their own modules; re-exported for existing callers.
export { retryAfterMillis } from './bounds';
export { hex, uuidString, uuidv7 } from './ids';

export const MIN_BACKOFF_MS = 30_000;
export const MAX_BACKOFF_MS = 300_000;
const DISCONNECT_TIMEOUT_MS = 1000;

export interface OpampClientOptions {
  transport: Omit<TransportOptions, 'instanceUid'>;
  log: Logger;
  heartbeatMillis: () => number;
  description: () => { identifying: Record<string, string>; nonIdentifying: Record<string, string> };
  health: () => ComponentHealth;
  effectiveConfig: () => string;
  /** Applies a new remote config; returns an error message when it is refused. */
  applyRemoteConfig: (map: ConfigMap, hash: Uint8Array) => string | undefined;
  /** A remote config already applied (from the cache), so the same hash is not applied again. */
  initialRemoteConfig?: { hash: Uint8Array; status: number; error?: string };
}

type RemoteStatus = { hash: Uint8Array; status: number; error?: string };

export class OpampClient {
  instanceUid: Uint8Array = uuidv7();
  private sequenceNum = 0;
  private lastSent: Record<string, string> = {};
  private remoteStatus?: RemoteStatus;
  private lastProcessedHash?: string;
  private inFlight?: Promise<void>;
  private pending = true;
  private timer?: NodeJS.Timeout;
  private failures = 0;
  private blockedUntil = 0;
  private offeredHeartbeatMs?: number;
  private stopped = false;
  private authWarned = false;
  private readonly abort = new AbortController();
  private lastRequestAt = 0;

  constructor(private readonly opts: OpampClientOptions) {
    if (opts.initialRemoteConfig) {
      this.remoteStatus = opts.initialRemoteConfig;
      this.lastProcessedHash = hex(opts.initialRemoteConfig.hash);
    }
  }

  /** The first poll is jittered so that instances starting together do not arrive at once. */
  start(): void {
    this.schedule(Math.random() * Math.min(this.heartbeat() || 5000, 5000));
  }

  /** Something to report (health, config): send soon, unless backing off. */
  reportChange(): void {
    this.pending = true;
    if (!this.inFlight && Date.now() >= this.blockedUntil) this.schedule(this.soonest());
  }

  /**
   * A report that is due still waits for MIN_HEARTBEAT_MS since the last request began: a server
   * asking for ReportFullState (or a new uid) in every answer, or a flapping exporter, gets at
   * most one request a second, never a loop.
   */
  private soonest(): number {
    return Math.max(0, this.lastRequestAt + MIN_HEARTBEAT_MS - Date.now());
  }

  /** Best effort: one agent_disconnect, bounded; never rejects. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.timer);
    // Never wait on a request that may be dead: abort it (it settles at once).
    this.abort.abort();
    await this.inFlight?.catch(() => undefined);
    const message = this.build();
    message.agentDisconnect = {};
    await post({ ...this.opts.transport, instanceUid: uuidString(this.instanceUid), timeoutMs: DISCONNECT_TIMEOUT_MS, holdProcess: true }, encodeAgentToServer(message)).catch(() => undefined);
  }

  private heartbeat(): number {
    if (this.offeredHeartbeatMs !== undefined) return this.offeredHeartbeatMs;
    return heartbeatMillis(this.opts.heartbeatMillis(), 'OTEL_NODE_OPAMP_HEARTBEAT_INTERVAL', this.warnOnce);
  }

  private warnOnce = (key: string, msg: string): void => this.opts.log.warnOnce(key, msg);

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.poll(), Math.max(0, delayMs));
    this.timer.unref();
  }

  private scheduleNext(): void {
    if (this.pending) return this.schedule(this.soonest());
    const hb = this.heartbeat();
    if (hb > 0) this.schedule(hb * (0.9 + Math.random() * 0.2));
  }

  private poll(): Promise<void> {
    if (this.inFlight || this.stopped) return this.inFlight ?? Promise.resolve();
    this.inFlight = this.exchange()
      .catch((err) => this.fail(err instanceof Error ? err.message : String(err)))
      .finally(() => {
        this.inFlight = undefined;
        if (Date.now() < this.blockedUntil) this.schedule(this.blockedUntil - Date.now());
        else this.scheduleNext();
      });
    return this.inFlight;
  }

  private async exchange(): Promise<void> {
    this.pending = false;
    this.lastRequestAt = Date.now();
    const message = this.build();
    const sentParts = this.parts(message);
    const answer = await post({ ...this.opts.transport, instanceUid: uuidString(this.instanceUid), signal: this.abort.signal }, encodeAgentToServer(message));
    const s2a = this.checkAnswer(answer);
    if (!s2a) return;
    this.failures = 0;
    Object.assign(this.lastSent, sentParts);
    this.handle(s2a);
  }

  /** Returns the decoded message, or undefined after recording why the poll failed. */
  private checkAnswer(answer: HttpAnswer): ServerToAgent | undefined {
    if (answer.status === 429 || answer.status === 503) {
      const asked = retryAfterMillis(answer.headers['retry-after']);
      this.backoff(asked === undefined ? this.nextBackoff() : retryMillis(asked, 'Retry-After', this.warnOnce), `HTTP ${answer.status}`);
      return undefined;
    }
    if (answer.status === 401 || answer.status === 403) {
      if (!this.authWarned) this.opts.log.warn(`OpAMP server refused us (HTTP ${answer.status}); check OTEL_NODE_OPAMP_HEADERS. Retrying every ${MAX_BACKOFF_MS / 1000} s.`);
      this.authWarned = true;
      this.backoff(MAX_BACKOFF_MS);
      return undefined;
    }
    if (answer.status < 200 || answer.status >= 300) throw new Error(`HTTP ${answer.status}`);
    const type = String(answer.headers['content-type'] ?? '');
    if (!/application\/x-protobuf/i.test(type)) throw new Error(`unexpected content type "${type}"`);
    try {
      return decodeServerToAgent(answer.body);
    } catch (err) {
      throw new Error(`malformed ServerToAgent (${(err as Error).message})`);
    }
  }

  private handle(s2a: ServerToAgent): void {
    if (this.stopped) return;
    const newUid = s2a.agentIdentification?.newInstanceUid;
    if (newUid && newUid.length === 16) {
      this.instanceUid = Uint8Array.from(newUid);
      this.requestFullState();
    }
    const error = s2a.errorResponse;
    if (error && error.type === ServerErrorTypes.Unavailable) {
      const nanos = Number(error.retryInfo?.retryAfterNanoseconds ?? 0);
      this.backoff(nanos > 0 ? retryMillis(nanos / 1e6, 'retry_info', this.warnOnce) : this.nextBackoff(), `UNAVAILABLE: ${String(error.errorMessage ?? '').slice(0, 200)}`);
      return;
    }
    if (error && error.type === ServerErrorTypes.BadRequest) {
      // Do not retry that message; carry on with the next heartbeat.
      this.opts.log.debug(`OpAMP server rejected a message: ${error.errorMessage ?? ''}`);
    } else if (error) {
      this.backoff(this.nextBackoff(), `server error: ${String(error.errorMessage ?? '').slice(0, 200)}`);
      return;
    }
    if (Number(s2a.flags ?? 0) & ServerToAgentFlags.ReportFullState) this.requestFullState();
    const seconds = s2a.connectionSettings?.opamp?.heartbeatIntervalSeconds;
    if (seconds !== undefined) this.offeredHeartbeatMs = serverHeartbeatMillis(Number(seconds), this.warnOnce);
    if (s2a.remoteConfig?.configHash) this.onRemoteConfig(s2a.remoteConfig.config?.configMap ?? {}, s2a.remoteConfig.configHash);
  }

  /**
   * Applies the newest config of this answer at once and reports its status on the next request,
   * which the loop in poll() spaces by MIN_HEARTBEAT_MS like any other: a server sending a new
   * hash in every answer gets one request a second, never a recursive storm, and the last config
   * it sent is the one that stays applied (and cached).
   */
  private onRemoteConfig(map: ConfigMap, hash: Uint8Array): void {
    // Servers resend the config until it is reported APPLIED (and after FAILED): once per hash.
    if (this.stopped || hex(hash) === this.lastProcessedHash) return;
    this.lastProcessedHash = hex(hash);
    // Whatever goes wrong while applying, the server hears FAILED (never APPLYING forever).
    let error: string | undefined;
    try {
      error = this.opts.applyRemoteConfig(map, hash);
    } catch (err) {
      error = `the config could not be applied (${err instanceof Error ? err.message : String(err)})`;
    }
    // Bounded whatever the applier returned: it goes into every status report and agent_disconnect.
    if (error && error.length > 1024) error = `${error.slice(0, 1023)}…`;
    this.remoteStatus = error ? { hash, status: RemoteConfigStatuses.FAILED, error } : { hash, status: RemoteConfigStatuses.APPLIED };
    this.pending = true;
  }

  private requestFullState(): void {
    this.lastSent = {};
    this.pending = true;
  }

  private fail(why: string): void {
    if (this.stopped) return;
    this.backoff(this.nextBackoff(), why);
  }

  private nextBackoff(): number {
    this.failures++;
    const base = Math.min(MAX_BACKOFF_MS, MIN_BACKOFF_MS * 2 ** (this.failures - 1));
    return base * (0.8 + Math.random() * 0.4);
  }

  private backoff(ms: number, reason?: string): void {
    // What the server wrote goes on one line, shortened.
    const why = reason?.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' ').slice(0, 300);
    this.blockedUntil = Date.now() + ms;
    // The next message must carry everything again: the server may have missed this one.
    this.pending = true;
    // One warning per kind of failure: the key leaves out numbers and anything the server wrote.
    if (why) this.opts.log.warnOnce(`opamp:${why.split(/[:(]/)[0].replace(/\d+/g, '#')}`, `OpAMP poll failed (${why}); retrying in ${Math.round(ms / 1000)} s. Local and cached configuration stay in effect.`);
  }

  /** The message, with sub-messages omitted when unchanged since the last one the server got. */
  private build(): AgentToServer {
    const message: AgentToServer = { instanceUid: this.instanceUid, sequenceNum: ++this.sequenceNum, capabilities: OUR_CAPABILITIES };
    const desc = this.opts.description();
    const parts = {
      agentDescription: { identifyingAttributes: kvs(desc.identifying), nonIdentifyingAttributes: kvs(desc.nonIdentifying) },
      health: this.opts.health(),
      effectiveConfig: { configMap: { configMap: { 'otel-preload': { body: Buffer.from(this.opts.effectiveConfig()), contentType: 'application/json' } } } },
      remoteConfigStatus: this.remoteStatus ? { lastRemoteConfigHash: this.remoteStatus.hash, status: this.remoteStatus.status, errorMessage: this.remoteStatus.error } : undefined,
    };
    for (const [key, value] of Object.entries(parts)) {
      if (value === undefined) continue;
      if (this.lastSent[key] !== fingerprint(key, value)) (message as unknown as Record<string, unknown>)[key] = value;
    }
    return message;
  }

  private parts(message: AgentToServer): Record<string, string> {
    const out: Record<string, string> = {};
    for (const key of ['agentDescription', 'health', 'effectiveConfig', 'remoteConfigStatus']) {
      const value = (message as unknown as Record<string, unknown>)[key];
      if (value !== undefined) out[key] = fingerprint(key, value);
    }
    return out;
  }
}

/** Health changes with its timestamps; compare what matters. */
function fingerprint(key: string, value: unknown): string {
  return JSON.stringify(value, (k, v) => (k === 'statusTimeUnixNano' || k === 'startTimeUnixNano' ? undefined : v instanceof Uint8Array || (v && v.type === 'Buffer') ? hex(Uint8Array.from(v.data ?? v)) : typeof v === 'bigint' ? String(v) : v)) + key;
}

function kvs(attributes: Record<string, string>): KeyValue[] {
  return Object.entries(attributes)
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([key, v]) => ({ key, value: { stringValue: v } }));
}
