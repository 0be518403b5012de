// What both OTLP transports do before the wire: gzip the request when so configured, and turn
// anything thrown on the way into a failed export instead of an exception.

import { gzip } from 'zlib';
import type { ExportResponse } from '@opentelemetry/otlp-exporter-base';

/** Puts the (possibly gzipped) body on the wire and calls `resolve` with the answer; whatever it throws becomes a failed export. */
export type SendBody = (body: Uint8Array, gzipped: boolean, resolve: (response: ExportResponse) => void) => void;

/** Resolves once, with what `send` resolves or a failure; never rejects. */
export function compressThenSend(data: Uint8Array, compression: 'gzip' | 'none', send: SendBody): Promise<ExportResponse> {
  return new Promise((resolve) => {
    const fail = (message: string) => resolve({ status: 'failure', error: new Error(message) });
    // Nothing may throw out of here: from a zlib callback it would be an uncaught exception in the app.
    const go = (body: Uint8Array, gzipped: boolean) => {
      try {
        send(body, gzipped, resolve);
      } catch (err) {
        fail(`the request could not be sent: ${(err as Error)?.message ?? err}`);
      }
    };
    if (compression === 'gzip') gzip(data, (err, body) => (err ? fail(`gzip failed: ${err.message}`) : go(body, true)));
    else go(data, false);
  });
}
