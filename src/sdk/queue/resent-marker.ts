// The mark on spans sent again at exit. A batch whose export was in flight when the process ended
// is handed to the exit's sender (nobody can know whether the collector already took it), so its
// spans may arrive twice; each copy sent again carries `otel.preload.span.resent = true`, so a
// reader (or a test) can tell a resend from a span the app made twice. The request is already
// encoded (OTLP protobuf), so the attribute is appended to each Span message in place: protobuf
// allows a repeated field's entries anywhere in a message, and only the lengths of the enclosing
// messages change.

export const RESENT_ATTRIBUTE = 'otel.preload.span.resent';

// ExportTraceServiceRequest.resource_spans = 1 → ResourceSpans.scope_spans = 2 → ScopeSpans.spans = 2
const PATH = [1, 2, 2];
const SPAN_ATTRIBUTES = 9;

function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}

function readVarint(buf: Uint8Array, at: number): [value: number, next: number] {
  let value = 0;
  let scale = 1;
  for (;;) {
    if (at >= buf.length) throw new Error('truncated varint');
    const b = buf[at++];
    value += (b & 0x7f) * scale;
    if ((b & 0x80) === 0) return [value, at];
    scale *= 128;
  }
}

function lengthDelimited(field: number, body: Uint8Array): Uint8Array {
  const head = [...varint((field << 3) | 2), ...varint(body.length)];
  const out = new Uint8Array(head.length + body.length);
  out.set(head, 0);
  out.set(body, head.length);
  return out;
}

/** KeyValue { key, value: AnyValue { bool_value: true } } as a Span.attributes entry. */
const MARK = (() => {
  const key = new TextEncoder().encode(RESENT_ATTRIBUTE);
  const anyValue = new Uint8Array([0x10, 0x01]);
  const keyValue = new Uint8Array([...lengthDelimited(1, key), ...lengthDelimited(2, anyValue)]);
  return lengthDelimited(SPAN_ATTRIBUTES, keyValue);
})();

function rewrite(msg: Uint8Array, depth: number): Uint8Array {
  if (depth === PATH.length) {
    const out = new Uint8Array(msg.length + MARK.length);
    out.set(msg, 0);
    out.set(MARK, msg.length);
    return out;
  }
  const parts: Uint8Array[] = [];
  let at = 0;
  while (at < msg.length) {
    const start = at;
    const [tag, afterTag] = readVarint(msg, at);
    const wire = tag & 7;
    if (wire === 0) at = readVarint(msg, afterTag)[1];
    else if (wire === 1) at = afterTag + 8;
    else if (wire === 5) at = afterTag + 4;
    else if (wire === 2) {
      const [length, bodyAt] = readVarint(msg, afterTag);
      at = bodyAt + length;
      if (tag >>> 3 === PATH[depth]) {
        parts.push(lengthDelimited(PATH[depth], rewrite(msg.subarray(bodyAt, at), depth + 1)));
        continue;
      }
    } else throw new Error(`unexpected wire type ${wire}`);
    if (at > msg.length) throw new Error('truncated field');
    parts.push(msg.subarray(start, at));
  }
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** The same ExportTraceServiceRequest with the resent mark on every span; unchanged if it cannot be read. */
export function markResent(request: Uint8Array): Uint8Array {
  try {
    return rewrite(request, 0);
  } catch {
    return request;
  }
}
