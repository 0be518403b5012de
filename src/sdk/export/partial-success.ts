// An OTLP partial success: the collector took the request but refused some of its items
// (https://opentelemetry.io/docs/specs/otlp/#partial-success). Upstream's export delegate only
// logs it and reports success; the refused items are lost all the same, so the deserialiser is
// wrapped to keep the count, which the queue and the metric reader then book as lost
// (export_failed) with the collector's message on the loss line. One export at a time per
// exporter, so one slot suffices.

const MAX_MESSAGE = 200;

export interface Rejected {
  count: number;
  message: string;
}

/** The failure the loss line names for a partial success (`of`: the request's item count, when known). */
export function partialSuccessError(rejected: Rejected, of?: number): Error {
  return new Error(`the collector refused ${rejected.count}${of === undefined ? '' : ` of ${of}`} in a partial success: ${rejected.message}`);
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
      // The collector's words go on a stderr line: bounded, whatever it sends.
      const message = typeof partial?.errorMessage === 'string' && partial.errorMessage ? partial.errorMessage.slice(0, MAX_MESSAGE) : 'no message';
      last = count > 0 ? { count, message } : undefined;
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
