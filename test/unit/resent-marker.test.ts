// The resent mark (src/sdk/queue/resent-marker.ts) on a real ExportTraceServiceRequest: every span
// of every scope and resource gets otel.preload.span.resent = true, nothing else changes.

import { describe, expect, it } from 'vitest';
import { markResent, RESENT_ATTRIBUTE } from '../../src/sdk/queue/resent-marker';
import { decodeTrace } from '../helpers/otlp-decode';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { getProtoRoot } = require('@elastic/mockotlpserver/lib/proto') as { getProtoRoot(): { lookupType(name: string): { encode(m: unknown): { finish(): Uint8Array }; fromObject(o: unknown): unknown } } };

const type = getProtoRoot().lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest');
const id = (n: number, len: number) => Buffer.alloc(len, n);
const span = (n: number, name: string) => ({ traceId: id(n, 16), spanId: id(n, 8), name, kind: 2, startTimeUnixNano: 1, endTimeUnixNano: 2, attributes: [{ key: 'http.route', value: { stringValue: '/x' } }] });
const request = type.encode(
  type.fromObject({
    resourceSpans: [
      { resource: { attributes: [{ key: 'service.name', value: { stringValue: 'a' } }] }, scopeSpans: [{ scope: { name: 's1' }, spans: [span(1, 'one'), span(2, 'two')] }, { scope: { name: 's2' }, spans: [span(3, 'three')] }] },
      { resource: { attributes: [{ key: 'service.name', value: { stringValue: 'b' } }] }, scopeSpans: [{ scope: { name: 's3' }, spans: [span(4, 'four')] }] },
    ],
  }),
).finish();

describe('markResent', () => {
  it('adds the attribute to every span and keeps everything else', () => {
    const before = decodeTrace(request);
    const after = decodeTrace(markResent(request));
    const spans = (t: typeof before) => t.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans ?? []));
    expect(spans(after).map((s) => s.name)).toEqual(['one', 'two', 'three', 'four']);
    for (const [i, s] of spans(after).entries()) expect(s.attributes).toEqual({ ...spans(before)[i].attributes, [RESENT_ATTRIBUTE]: true });
    expect(after.resourceSpans.map((r) => r.resource.attributes)).toEqual(before.resourceSpans.map((r) => r.resource.attributes));
  });

  it('leaves bytes it cannot read unchanged', () => {
    const garbage = new Uint8Array([0x0a, 0xff, 0xff, 0xff]);
    expect(markResent(garbage)).toBe(garbage);
  });
});
