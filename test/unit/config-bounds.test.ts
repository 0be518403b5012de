// No setting can crash or flood the host: numbers are clamped to what timers and buffers can take,
// headers that HTTP/2 refuses are left out, and each correction is one warning naming the setting
// and the value used instead.

import * as http2 from 'http2';
import { describe, expect, it } from 'vitest';
import { readConfig } from '../../src/config';
import { MAX_BATCH_SIZE, MAX_QUEUE_SIZE, MAX_TIMER_MILLIS, SETTINGS } from '../../src/config/settings';

const TIMERS = SETTINGS.filter((s) => s.kind.type === 'integer' && s.kind.max === MAX_TIMER_MILLIS).map((s) => s.name);
const HEADER_SETTINGS = SETTINGS.filter((s) => s.kind.type === 'headers').map((s) => s.name);

describe('integers are clamped to their documented maximum, with one warning', () => {
  it.each(TIMERS)('%s=2147483648 (and 1e30 written out) → 2^31−1', (name) => {
    for (const raw of ['2147483648', '1' + '0'.repeat(30)]) {
      const { warnings } = readConfig({ [name]: raw });
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain(name);
      expect(warnings[0]).toContain(`using ${MAX_TIMER_MILLIS}`);
    }
  });

  it('the clamped values reach the config', () => {
    const huge = '99999999999999999999';
    const { config } = readConfig({
      OTEL_METRIC_EXPORT_INTERVAL: '2147483648',
      OTEL_BSP_SCHEDULE_DELAY: huge,
      OTEL_EXPORTER_OTLP_TIMEOUT: huge,
      OTEL_NODE_SHUTDOWN_TIMEOUT: huge,
      OTEL_BLRP_EXPORT_TIMEOUT: huge,
    });
    expect(config.metricExportIntervalMillis).toBe(MAX_TIMER_MILLIS);
    expect(config.spanBatch.scheduledDelayMillis).toBe(MAX_TIMER_MILLIS);
    expect(config.traces.timeoutMillis).toBe(MAX_TIMER_MILLIS);
    expect(config.shutdownTimeoutMillis).toBe(MAX_TIMER_MILLIS);
    expect(config.logBatch.exportTimeoutMillis).toBe(MAX_TIMER_MILLIS);
  });

  it.each(['BSP', 'BLRP'])('OTEL_%s_MAX_QUEUE_SIZE=1e11 written out → %s maximum, batch ≤ queue', (prefix) => {
    const { config, warnings } = readConfig({ [`OTEL_${prefix}_MAX_QUEUE_SIZE`]: '100000000000', [`OTEL_${prefix}_MAX_EXPORT_BATCH_SIZE`]: '100000000000' });
    const batch = prefix === 'BSP' ? config.spanBatch : config.logBatch;
    expect(batch.maxQueueSize).toBe(MAX_QUEUE_SIZE);
    expect(batch.maxExportBatchSize).toBe(MAX_BATCH_SIZE);
    expect(warnings).toHaveLength(2);
    expect(warnings.find((w) => w.startsWith(`OTEL_${prefix}_MAX_QUEUE_SIZE=`))).toContain(`using ${MAX_QUEUE_SIZE}`);
    expect(warnings.find((w) => w.startsWith(`OTEL_${prefix}_MAX_EXPORT_BATCH_SIZE=`))).toContain(`using ${MAX_BATCH_SIZE}`);
  });

  it('a batch clamped and then larger than the queue is still one warning, naming the final value', () => {
    const { config, warnings } = readConfig({ OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '99999' });
    expect(config.spanBatch.maxExportBatchSize).toBe(2048);
    expect(warnings).toEqual(['OTEL_BSP_MAX_EXPORT_BATCH_SIZE=99999 is larger than OTEL_BSP_MAX_QUEUE_SIZE=2048; using 2048.']);
  });

  it('a small queue alone silently lowers the default batch (the user did not choose the batch)', () => {
    const { config, warnings } = readConfig({ OTEL_BSP_MAX_QUEUE_SIZE: '100' });
    expect(config.spanBatch.maxExportBatchSize).toBe(100);
    expect(warnings).toEqual([]);
  });

  it('a metric interval below 100 ms would flood: refused for the default', () => {
    const { config, warnings } = readConfig({ OTEL_METRIC_EXPORT_INTERVAL: '1' });
    expect(config.metricExportIntervalMillis).toBe(60_000);
    expect(warnings).toHaveLength(1);
  });
});

describe('headers that cannot be sent are refused at config time', () => {
  const CONNECTION = ['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'http2-settings'];

  it('the list matches what Node’s HTTP/2 refuses', () => {
    const session = http2.connect('http://127.0.0.1:9');
    session.on('error', () => {}); // nothing listens there; only the request's own check matters
    try {
      for (const name of CONNECTION) {
        let code: unknown;
        try {
          session.request({ [name]: 'x' });
        } catch (err) {
          code = (err as NodeJS.ErrnoException).code;
        }
        expect(code, name).toBe('ERR_HTTP2_INVALID_CONNECTION_HEADERS');
      }
    } finally {
      session.destroy();
    }
  });

  it.each(HEADER_SETTINGS)('%s: connection-specific headers left out, the others kept, one warning without values', (name) => {
    for (const header of CONNECTION) {
      const { config, warnings } = readConfig({ [name]: `authorization=Bearer%20s3cret,${header}=close,x-tenant=a` });
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain(name);
      expect(warnings[0]).toContain(JSON.stringify(header));
      expect(warnings[0]).not.toContain('s3cret');
      const headers = name === 'OTEL_NODE_OPAMP_HEADERS' ? config.opamp.headers : name.includes('METRICS') ? config.metrics.headers : name.includes('LOGS') ? config.logs.headers : config.traces.headers;
      expect(headers).toEqual({ authorization: 'Bearer s3cret', 'x-tenant': 'a' });
    }
  });

  it('names that are not tokens and values with control characters are refused too', () => {
    const { config, warnings } = readConfig({ OTEL_EXPORTER_OTLP_HEADERS: 'a%20b=1,ok=2,crlf=x%0D%0Ay:z,:path=/x,CONNECTION=close' });
    expect(config.traces.headers).toEqual({ ok: '2' });
    expect(warnings).toHaveLength(1);
    // A name that is not a token is shown only up to where it stops being one.
    expect(warnings[0]).toMatch(/"a"… \(not a header name; entries are name=value\).*"crlf".*""… .*"CONNECTION"/);
  });

  it('the colon form of a header (a key whose base64 "=" was taken for the separator) never prints the key', () => {
    const { warnings } = readConfig({ OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key: KEYSECRET77=' });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('"x-api-key"…');
    expect(warnings[0]).not.toContain('KEYSECRET77');
  });
});

describe('names never carry control characters', () => {
  it('a list with a line break in an entry is refused whole, in one single-line warning', () => {
    const { config, warnings } = readConfig({ OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http,ex\npress' });
    expect(config.enabledInstrumentations).toBeUndefined();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).not.toMatch(/\n/);
  });
});
