// The request root context behaves as the API's ROOT_CONTEXT: immutable, copy on write, and what
// the API's helpers (trace.setSpan, propagation.extract) derive from it stays of its class.

import { describe, expect, it } from 'vitest';
import * as api from '@opentelemetry/api';
import { LEAN_ROOT, LeanContext } from '../../src/instrumentations/lean-context';
import { lineRequire } from '../../src/otel-line/line';

const A = api.createContextKey('a');
const B = api.createContextKey('b');

describe('LeanContext', () => {
  it('set and delete return new contexts and leave the original as it was', () => {
    const one = LEAN_ROOT.setValue(A, 1);
    const two = one.setValue(B, 2);
    const back = two.deleteValue(A);
    expect([LEAN_ROOT.getValue(A), one.getValue(A), one.getValue(B), two.getValue(A), two.getValue(B), back.getValue(A), back.getValue(B)]).toEqual([undefined, 1, undefined, 1, 2, undefined, 2]);
    for (const ctx of [one, two, back]) expect(ctx).toBeInstanceOf(LeanContext);
  });

  it('a remote parent extracted onto it, and a span set on that, keep the class and the values', () => {
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const getter = { get: (c: Record<string, string>, k: string) => c[k], keys: (c: Record<string, string>) => Object.keys(c) };
    const extracted = new (lineRequire('@opentelemetry/core').W3CTraceContextPropagator)().extract(LEAN_ROOT, { traceparent }, getter) as api.Context;
    expect(extracted).toBeInstanceOf(LeanContext);
    expect(api.trace.getSpanContext(extracted)?.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    const span = api.trace.wrapSpanContext({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '1111111111111111', traceFlags: 1 });
    const withSpan = api.trace.setSpan(extracted, span);
    expect(withSpan).toBeInstanceOf(LeanContext);
    expect(api.trace.getSpan(withSpan)).toBe(span);
    expect(api.trace.getSpanContext(extracted)?.spanId).toBe('00f067aa0ba902b7');
  });
});
