// Every interval the OpAMP server (or the environment) hands us is clamped to a documented range
// before it reaches a timer: Node turns a setTimeout delay above 2^31-1 ms into 1 ms, so an
// unbounded "46 days" from a server would become a poll storm. One warning per distinct bad value.

/** Heartbeat: 1 s … 24 h; 0 from the server means "no heartbeats" (spec). */
export const MIN_HEARTBEAT_MS = 1000;
export const MAX_HEARTBEAT_MS = 86_400_000;
/** A server's Retry-After / retry_info: 1 s … 24 h (our own backoff starts at 30 s). */
export const MIN_RETRY_MS = 1000;
export const MAX_RETRY_MS = 86_400_000;

export type Warn = (key: string, message: string) => void;

/** Clamps `ms` into [min, max]; NaN and negatives count as below the minimum. */
export function clamp(ms: number, min: number, max: number): number {
  if (!Number.isFinite(ms)) return ms > 0 ? max : min;
  return Math.min(max, Math.max(min, ms));
}

/** The server's heartbeat_interval_seconds as ms (0 = no heartbeats), clamped, warned once per value. */
export function serverHeartbeatMillis(seconds: number, warn: Warn): number {
  if (seconds === 0) return 0;
  const ms = seconds * 1000;
  const bounded = clamp(ms, MIN_HEARTBEAT_MS, MAX_HEARTBEAT_MS);
  if (bounded !== ms) warn(`opamp:heartbeat:${seconds}`, `the OpAMP server offered a heartbeat of ${seconds} s, outside ${MIN_HEARTBEAT_MS / 1000} s … ${MAX_HEARTBEAT_MS / 3_600_000} h; using ${bounded / 1000} s.`);
  return bounded;
}

/** A heartbeat from local or remote settings (ms), clamped, warned once per value. */
export function heartbeatMillis(ms: number, source: string, warn: Warn): number {
  const bounded = clamp(ms, MIN_HEARTBEAT_MS, MAX_HEARTBEAT_MS);
  if (bounded !== ms) warn(`opamp:heartbeat-ms:${ms}`, `${source}=${ms} is outside ${MIN_HEARTBEAT_MS} … ${MAX_HEARTBEAT_MS} ms; using ${bounded} ms.`);
  return bounded;
}

/** A retry delay the server asked for (ms), clamped, warned once per value. */
export function retryMillis(ms: number, what: string, warn: Warn): number {
  const bounded = clamp(ms, MIN_RETRY_MS, MAX_RETRY_MS);
  if (bounded !== ms) warn(`opamp:retry:${what}:${ms}`, `the OpAMP server asked to retry in ${Math.round(ms) / 1000} s (${what}), outside ${MIN_RETRY_MS / 1000} s … ${MAX_RETRY_MS / 3_600_000} h; retrying in ${bounded / 1000} s.`);
  return bounded;
}

export { retryAfterMillis } from '../util/retry-after';
