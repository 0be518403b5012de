// An OTLP partial success: the collector took the request but refused some of its items
// (https://opentelemetry.io/docs/specs/otlp/#partial-success). Upstream's export delegate only
// logs it and reports success; the refused items are lost all the same, so the deserialiser is
// wrapped to keep the count, which the queue and the metric reader then book as lost
// (export_failed) with the collector's message on the loss line. One export at a time per
// exporter, so one slot suffices.

export interface Rejected {
  count: number;
  message: string;
}

interface Serializer {
  serializeRequest(request: never): Uint8Array | undefined;
  deserializeResponse(data: Uint8Array): unknown;
}

interface PartialSuccess {
  rejectedSpans?: unknown;
  rejectedLogRecords?: unknown;
  rejectedDataPoints?: unknown;
  errorMessage?: string;
}

export function countingRejections<S extends Serializer>(serializer: S): { serializer: S; take: () => Rejected | undefined } {
  let last: Rejected | undefined;
  const counting = {
    ...serializer,
    serializeRequest: serializer.serializeRequest.bind(serializer),
    deserializeResponse(data: Uint8Array): unknown {
      const response = serializer.deserializeResponse(data) as { partialSuccess?: PartialSuccess } | undefined;
      const partial = response?.partialSuccess;
      const count = Number(partial?.rejectedSpans ?? partial?.rejectedLogRecords ?? partial?.rejectedDataPoints ?? 0);
      last = count > 0 ? { count, message: partial?.errorMessage || 'no message' } : undefined;
      return response;
    },
  };
  return {
    serializer: counting,
    take: () => {
      const taken = last;
      last = undefined;
      return taken;
    },
  };
}
