// A span as OTLP protobuf bytes the moment it ends, so that the export queue holds compact bytes
// instead of span objects. Queued span objects outlive young-generation collections, and V8 answers
// that survival by growing the young generation for good: under load that was most of our resident
// memory (bench/README.md). The message layout is OTLP's trace.proto; the primitives (writer,
// attributes, timestamps, resource, scope) are @opentelemetry/otlp-transformer's own, so the bytes
// are those its serializer produces for the same spans (test/unit/otlp-span-encoding.test.ts).

import type { InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace';
import type { Link } from '@opentelemetry/api';
import { requireInternal } from '../../otel-line/internals';

type Writer = {
  pos: number;
  writeTag(field: number, wireType: number): void;
  writeVarint(value: number): void;
  writeFixed32(value: number): void;
  writeBytes(bytes: Uint8Array): void;
  writeString(value: string): void;
  startLengthDelimited(): number;
  finishLengthDelimited(start: number, length: number): void;
  finish(): Uint8Array;
};
type WriterClass = new (estimatedSize?: number) => Writer;

const { ProtobufWriter } = requireInternal<{ ProtobufWriter: WriterClass }>('otlp-transformer/protobuf-writer');
const common = requireInternal<{
  writeHrTimeAsFixed64(w: Writer, time: [number, number]): void;
  writeAttributes(w: Writer, attributes: object, field: number): void;
  writeInstrumentationScope(w: Writer, scope: InstrumentationScope, field: number): void;
  writeResource(w: Writer, resource: Resource, field: number): void;
}>('otlp-transformer/common-serializer');
const { hexToBinary } = requireInternal<{ hexToBinary(hex: string): Uint8Array }>('otlp-transformer/hex-to-binary');

const LEN = 2;
const VARINT = 0;
const FIXED64 = 1;
const FIXED32 = 5;
// SpanFlags: the low byte is the W3C trace flags; bit 8 says whether bit 9 (is remote) is known.
const HAS_IS_REMOTE = 0x100;
const IS_REMOTE = 0x200;

/** The spans of one instrumentation scope, as the content of an OTLP ScopeSpans message. */
export class ScopeSpansBuilder {
  private readonly writer: Writer;
  count = 0;

  constructor(private readonly scope: InstrumentationScope, estimatedSize: number) {
    this.writer = new ProtobufWriter(estimatedSize);
    common.writeInstrumentationScope(this.writer, scope, 1);
  }

  add(span: ReadableSpan): void {
    const w = this.writer;
    w.writeTag(2, LEN);
    const start = w.startLengthDelimited();
    const from = w.pos;
    writeSpan(w, span);
    w.finishLengthDelimited(start, w.pos - from);
    this.count++;
  }

  /** Bytes written so far. */
  get size(): number {
    return this.writer.pos;
  }

  finish(): Uint8Array {
    if (this.scope.schemaUrl) {
      this.writer.writeTag(3, LEN);
      this.writer.writeString(this.scope.schemaUrl);
    }
    return this.writer.finish();
  }
}

/** An ExportTraceServiceRequest: one resource, the ScopeSpans contents built above. */
export function traceRequest(resource: Resource, scopeSpans: readonly Uint8Array[]): Uint8Array {
  const w = new ProtobufWriter(scopeSpans.reduce((n, s) => n + s.length + 8, 4096));
  w.writeTag(1, LEN);
  const start = w.startLengthDelimited();
  const from = w.pos;
  common.writeResource(w, resource, 1);
  for (const content of scopeSpans) {
    w.writeTag(2, LEN);
    w.writeBytes(content);
  }
  if (resource.schemaUrl) {
    w.writeTag(3, LEN);
    w.writeString(resource.schemaUrl);
  }
  w.finishLengthDelimited(start, w.pos - from);
  return w.finish();
}

function writeSpan(w: Writer, span: ReadableSpan): void {
  const ctx = span.spanContext();
  w.writeTag(1, LEN);
  w.writeBytes(hexToBinary(ctx.traceId));
  w.writeTag(2, LEN);
  w.writeBytes(hexToBinary(ctx.spanId));
  const traceState = ctx.traceState?.serialize();
  if (traceState) {
    w.writeTag(3, LEN);
    w.writeString(traceState);
  }
  if (span.parentSpanContext?.spanId) {
    w.writeTag(4, LEN);
    w.writeBytes(hexToBinary(span.parentSpanContext.spanId));
  }
  w.writeTag(5, LEN);
  w.writeString(span.name);
  // OTLP's SpanKind counts from UNSPECIFIED = 0; the API's from INTERNAL = 0.
  const kind = span.kind == null ? 0 : span.kind + 1;
  if (kind !== 0) {
    w.writeTag(6, VARINT);
    w.writeVarint(kind);
  }
  w.writeTag(7, FIXED64);
  common.writeHrTimeAsFixed64(w, span.startTime);
  w.writeTag(8, FIXED64);
  common.writeHrTimeAsFixed64(w, span.endTime);
  if (span.attributes) common.writeAttributes(w, span.attributes, 9);
  w.writeTag(10, VARINT);
  w.writeVarint(span.droppedAttributesCount);
  for (const event of span.events) {
    w.writeTag(11, LEN);
    nested(w, () => writeEvent(w, event));
  }
  w.writeTag(12, VARINT);
  w.writeVarint(span.droppedEventsCount);
  for (const link of span.links) {
    w.writeTag(13, LEN);
    nested(w, () => writeLink(w, link));
  }
  w.writeTag(14, VARINT);
  w.writeVarint(span.droppedLinksCount);
  w.writeTag(15, LEN);
  const status = w.startLengthDelimited();
  const statusFrom = w.pos;
  if (span.status.message) {
    w.writeTag(2, LEN);
    w.writeString(span.status.message);
  }
  w.writeTag(3, VARINT);
  w.writeVarint(span.status.code);
  w.finishLengthDelimited(status, w.pos - statusFrom);
  w.writeTag(16, FIXED32);
  w.writeFixed32(spanFlags(ctx.traceFlags, span.parentSpanContext?.isRemote));
}

function writeEvent(w: Writer, event: TimedEvent): void {
  w.writeTag(1, FIXED64);
  common.writeHrTimeAsFixed64(w, event.time);
  w.writeTag(2, LEN);
  w.writeString(event.name);
  if (event.attributes) common.writeAttributes(w, event.attributes, 3);
  w.writeTag(4, VARINT);
  w.writeVarint(event.droppedAttributesCount || 0);
}

function writeLink(w: Writer, link: Link): void {
  w.writeTag(1, LEN);
  w.writeBytes(hexToBinary(link.context.traceId));
  w.writeTag(2, LEN);
  w.writeBytes(hexToBinary(link.context.spanId));
  const traceState = link.context.traceState?.serialize();
  if (traceState) {
    w.writeTag(3, LEN);
    w.writeString(traceState);
  }
  if (link.attributes) common.writeAttributes(w, link.attributes, 4);
  w.writeTag(5, VARINT);
  w.writeVarint(link.droppedAttributesCount || 0);
  w.writeTag(6, FIXED32);
  w.writeFixed32(spanFlags(link.context.traceFlags, link.context.isRemote));
}

function nested(w: Writer, write: () => void): void {
  const start = w.startLengthDelimited();
  const from = w.pos;
  write();
  w.finishLengthDelimited(start, w.pos - from);
}

function spanFlags(traceFlags: number, isRemote: boolean | undefined): number {
  return (traceFlags & 0xff) | HAS_IS_REMOTE | (isRemote ? IS_REMOTE : 0);
}
