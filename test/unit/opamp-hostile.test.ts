// The OpAMP client's defences as pure functions: interval bounds, prototype-safe remote config,
// the sensitive-header rule (refused remotely, redacted locally) and the cache's trust rules.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { execFileSync } from 'child_process';
import { afterAll, describe, expect, it } from 'vitest';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { clamp, heartbeatMillis, MAX_HEARTBEAT_MS, MIN_HEARTBEAT_MS, retryAfterMillis, retryMillis, serverHeartbeatMillis } from '../../src/remote/bounds';
import { parseConfigMap } from '../../src/remote/remote-config';
import { isSensitiveHeader, UrlRedactingProcessor } from '../../src/util/redact';
import { readCache, untrusted, writeCache } from '../../src/remote/cache';
import { createLogger } from '../../src/log/logger';

const entry = (body: string) => ({ 'otel-preload': { body: Buffer.from(body), contentType: 'application/json' } });

describe('interval bounds', () => {
  it('clamps to 1 s … 24 h, whatever the number', () => {
    expect(clamp(1, MIN_HEARTBEAT_MS, MAX_HEARTBEAT_MS)).toBe(1000);
    expect(clamp(46 * 86_400_000, MIN_HEARTBEAT_MS, MAX_HEARTBEAT_MS)).toBe(86_400_000);
    expect(clamp(NaN, MIN_HEARTBEAT_MS, MAX_HEARTBEAT_MS)).toBe(1000);
    expect(clamp(Infinity, MIN_HEARTBEAT_MS, MAX_HEARTBEAT_MS)).toBe(86_400_000);
    expect(clamp(-5, MIN_HEARTBEAT_MS, MAX_HEARTBEAT_MS)).toBe(1000);
    // Everything a timer gets fits in setTimeout's 32-bit range.
    expect(MAX_HEARTBEAT_MS * 1.1).toBeLessThan(2 ** 31 - 1);
  });

  it('one warning per distinct bad value, never a flood', () => {
    const out: string[] = [];
    const log = createLogger('warn', (l) => out.push(l));
    const warn = (k: string, m: string) => log.warnOnce(k, m);
    for (let i = 0; i < 1000; i++) {
      expect(serverHeartbeatMillis(3_974_400, warn)).toBe(86_400_000);
      expect(heartbeatMillis(300, 'OTEL_NODE_OPAMP_HEARTBEAT_INTERVAL', warn)).toBe(1000);
      expect(retryMillis(0, 'Retry-After', warn)).toBe(1000);
    }
    expect(serverHeartbeatMillis(0, warn)).toBe(0);
    expect(serverHeartbeatMillis(30, warn)).toBe(30_000);
    expect(serverHeartbeatMillis(2 ** 40, warn)).toBe(86_400_000);
    expect(out).toHaveLength(4);
    expect(out[1]).toMatch(/OTEL_NODE_OPAMP_HEARTBEAT_INTERVAL=300 is outside 1000 … 86400000 ms; using 1000 ms/);
  });
});

describe('Retry-After', () => {
  it.each(['-5', '-0.5', '1.5', '+3', '5 seconds', '0x10', 'garbage', '-', '2026-13-99'])('%s is unreadable: absent (our own backoff), not a date in the past', (v) => {
    expect(retryAfterMillis(v, 1_000_000)).toBeUndefined();
  });
  it('delay-seconds and HTTP dates are read', () => {
    const now = Date.parse('Mon, 30 Nov 2026 01:00:00 GMT');
    expect(retryAfterMillis(' 7 ', now)).toBe(7000);
    expect(retryAfterMillis('0', now)).toBe(0);
    expect(retryAfterMillis('Mon, 30 Nov 2026 01:00:09 GMT', now)).toBe(9000);
    expect(retryAfterMillis('Monday, 30-Nov-26 00:59:00 GMT', now)).toBe(0);
  });
});

describe('remote config is prototype-safe', () => {
  it.each(['__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', '__defineGetter__'])('%s fails the config, naming the key', (key) => {
    const r = parseConfigMap(entry(`{"${key}": {"log_level": "debug"}}`));
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toContain(`"${key}"`);
    expect(({} as Record<string, unknown>).log_level).toBeUndefined();
  });

  it('in the EDOT entry too, and as a log level name', () => {
    const r = parseConfigMap({ elastic: { body: Buffer.from('{"constructor": 1, "logging_level": "toString"}'), contentType: 'application/json' } });
    expect(!r.ok && r.error).toMatch(/"constructor" is refused.*logging_level/);
  });
});

describe('the sensitive-header rule', () => {
  it.each(['authorization', 'Proxy-Authorization', 'cookie', 'set-cookie', 'x-api-key', 'x-auth-token', 'x_csrf_token', 'x-amz-security-token', 'x-session-id'])('%s is sensitive', (h) => expect(isSensitiveHeader(h)).toBe(true));
  const vendorCredentials = ['ocp-apim-subscription-key', 'x-functions-key', 'x-access-key', 'x-jwt-assertion', 'X-Goog-Signature'];
  it.each(vendorCredentials)('%s (a vendor credential) is sensitive: refused remotely and redacted locally', (h) => {
    expect(isSensitiveHeader(h)).toBe(true);
    const r = parseConfigMap(entry(JSON.stringify({ http_request_headers: ['x-request-id', h] })));
    expect(!r.ok && r.error).toContain(`is refused for ${h.toLowerCase()}: credential headers cannot be captured remotely`);
    const attributes: Record<string, unknown> = { [`http.request.header.${h.toLowerCase()}`]: ['s3cret'] };
    new UrlRedactingProcessor().onEnd({ attributes } as unknown as ReadableSpan);
    expect(Object.values(attributes)).toEqual([['REDACTED']]);
  });
  it.each(['x-request-id', 'content-type', 'user-agent', 'traceparent', 'accept'])('%s is not', (h) => expect(isSensitiveHeader(h)).toBe(false));

  it('captured headers named sensitive are redacted on every span, whatever configured them', () => {
    const attributes: Record<string, unknown> = {
      'http.request.header.authorization': ['Bearer s3cret'],
      'http.request.header.x_api_key': ['k'],
      'http.response.header.set-cookie': ['sid=1'],
      'http.request.header.x-request-id': ['r-1'],
    };
    new UrlRedactingProcessor().onEnd({ attributes } as unknown as ReadableSpan);
    expect(attributes).toEqual({
      'http.request.header.authorization': ['REDACTED'],
      'http.request.header.x_api_key': ['REDACTED'],
      'http.response.header.set-cookie': ['REDACTED'],
      'http.request.header.x-request-id': ['r-1'],
    });
  });
});

describe('the cache trusts only private regular files', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'otel-preload-cache-unit-'));
  const uid = process.getuid!();
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('owner, mode and type rules', () => {
    const file = path.join(dir, 'ok.json');
    expect(writeCache(file, { hash: new Uint8Array([1, 2]), configMap: entry('{}') })).toBe(true);
    const st = fs.statSync(file);
    expect(st.mode & 0o777).toBe(0o600);
    expect(untrusted(st, fs.statSync(dir), uid)).toBeUndefined();
    expect(untrusted({ ...st, isFile: () => true, isSymbolicLink: () => false, mode: 0o100664 } as fs.Stats, fs.statSync(dir), uid)).toMatch(/writable by group or others/);
    expect(untrusted({ ...st, isFile: () => true, isSymbolicLink: () => false, uid: uid + 1 } as fs.Stats, fs.statSync(dir), uid)).toMatch(/is owned by uid/);
    expect(readCache(file, () => undefined)?.hash).toEqual(Buffer.from([1, 2]));
  });

  it('a FIFO is refused without blocking', () => {
    const fifo = path.join(dir, 'fifo.json');
    execFileSync('mkfifo', [fifo]);
    const warnings: string[] = [];
    expect(readCache(fifo, (m) => warnings.push(m))).toBeUndefined();
    expect(warnings).toEqual([expect.stringMatching(/is not a regular file/)]);
  });

  it('a cache with a __proto__ entry does not touch prototypes', () => {
    const file = path.join(dir, 'proto.json');
    fs.writeFileSync(file, '{"hash": "ab", "configMap": {"__proto__": {"body": "", "contentType": "x"}}}', { mode: 0o600 });
    const cached = readCache(file, () => undefined);
    expect(Object.getPrototypeOf(cached!.configMap)).toBe(Object.prototype);
    expect(Object.keys(cached!.configMap)).toEqual([]);
  });
});

describe('an oversized remote config is bounded', () => {
  it('3.6 MB (300,000 invalid header names + 20,000 unknown keys): FAILED "too large", at once', () => {
    const body: Record<string, unknown> = { http_request_headers: Array.from({ length: 300_000 }, (_, i) => `bad header ${i}`) };
    for (let i = 0; i < 20_000; i++) body[`unknown_${i}`] = i;
    const map = entry(JSON.stringify(body));
    const started = performance.now();
    const r = parseConfigMap(map);
    expect(performance.now() - started).toBeLessThan(50);
    expect(!r.ok && r.error).toMatch(/^the remote config is too large \(\d+ bytes; at most 262144 are accepted\)$/);
  });

  it('under the size cap, many problems: the first few and "and N more", at most 1 KiB', () => {
    const body: Record<string, unknown> = { http_request_headers: Array.from({ length: 200 }, (_, i) => `bad header ${i}`) };
    for (let i = 0; i < 5000; i++) body[`unknown_${i}`] = i;
    const r = parseConfigMap(entry(JSON.stringify(body)));
    const error = !r.ok ? r.error : '';
    expect(error.length).toBeLessThanOrEqual(1024);
    expect(error).toMatch(/and 4996 more$/);
    expect(error).toMatch(/invalid header names "bad header 0", .* and 195 more/);
  });

  it('a list longer than 256 entries is refused, naming the setting', () => {
    const r = parseConfigMap(entry(JSON.stringify({ disabled_instrumentations: Array.from({ length: 300 }, (_, i) => `i${i}`) })));
    expect(!r.ok && r.error).toBe('otel-preload: "disabled_instrumentations" has 300 entries; at most 256 are accepted');
  });
});
