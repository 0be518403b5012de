// What a gRPC answer means for an OTLP export: which statuses are retryable
// (https://opentelemetry.io/docs/specs/otlp/#failures — RESOURCE_EXHAUSTED only when the server
// says when to retry), the delay a server asks for (google.rpc.RetryInfo in
// grpc-status-details-bin), and the gRPC status of a plain HTTP answer
// (https://github.com/grpc/grpc/blob/master/doc/http-grpc-status-mapping.md).

/** grpc-status codes named in messages (https://grpc.github.io/grpc/core/md_doc_statuscodes.html). */
export const STATUS_NAMES = ['OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS', 'PERMISSION_DENIED', 'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE', 'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS', 'UNAUTHENTICATED'];

export const UNAVAILABLE = 14;
export const DEADLINE_EXCEEDED = 4;
const RESOURCE_EXHAUSTED = 8;
const RETRYABLE = new Set([1 /* CANCELLED */, DEADLINE_EXCEEDED, 10 /* ABORTED */, 11 /* OUT_OF_RANGE */, UNAVAILABLE, 15 /* DATA_LOSS */]);

/** Whether to retry, given the status and the delay the server asked for (if any). */
export function isRetryable(code: number, retryDelayMillis: number | undefined): boolean {
  return RETRYABLE.has(code) || (code === RESOURCE_EXHAUSTED && retryDelayMillis !== undefined);
}

export function statusText(code: number): string {
  return `${code} ${STATUS_NAMES[code] ?? 'UNKNOWN'}`;
}

/** The gRPC status an HTTP answer without grpc-status stands for. */
export function statusOfHttp(status: number): number {
  if (status === 400) return 13; // INTERNAL
  if (status === 401) return 16; // UNAUTHENTICATED
  if (status === 403) return 7; // PERMISSION_DENIED
  if (status === 404) return 12; // UNIMPLEMENTED
  if (status === 429 || status === 502 || status === 503 || status === 504) return UNAVAILABLE;
  return 2; // UNKNOWN
}

const RETRY_INFO = 'type.googleapis.com/google.rpc.RetryInfo';

/** The retry delay of a google.rpc.Status (base64, grpc-status-details-bin), if it carries a RetryInfo. */
export function retryDelayMillis(detailsBin: string | undefined): number | undefined {
  if (!detailsBin) return undefined;
  try {
    for (const any of fields(Buffer.from(detailsBin, 'base64')).filter((f) => f.no === 3)) {
      const parts = fields(any.bytes!);
      if (parts.find((f) => f.no === 1)?.bytes?.toString() !== RETRY_INFO) continue;
      const info = parts.find((f) => f.no === 2)?.bytes;
      const duration = info && fields(info).find((f) => f.no === 1)?.bytes;
      if (!duration) return 0;
      const d = fields(duration);
      const seconds = d.find((f) => f.no === 1)?.varint ?? 0;
      const nanos = d.find((f) => f.no === 2)?.varint ?? 0;
      return seconds * 1000 + Math.round(nanos / 1e6);
    }
  } catch {
    // Malformed details: no delay.
  }
  return undefined;
}

interface Field {
  no: number;
  varint?: number;
  bytes?: Buffer;
}

/** The top-level fields of a protobuf message (varint and length-delimited; others skipped). */
function fields(buf: Buffer): Field[] {
  const out: Field[] = [];
  let pos = 0;
  const varint = (): number => {
    let value = 0;
    let scale = 1;
    for (;;) {
      if (pos >= buf.length) throw new Error('truncated');
      const byte = buf[pos++];
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 128;
    }
  };
  while (pos < buf.length) {
    const key = varint();
    const no = Math.floor(key / 8);
    const wire = key & 7;
    if (wire === 0) out.push({ no, varint: varint() });
    else if (wire === 2) {
      const len = varint();
      if (pos + len > buf.length) throw new Error('truncated');
      out.push({ no, bytes: buf.subarray(pos, pos + len) });
      pos += len;
    } else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else throw new Error(`wire type ${wire}`);
  }
  return out;
}
