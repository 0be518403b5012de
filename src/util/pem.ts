// Reads the certificate and key files named by settings (OTLP exporters, OpAMP). A file that
// cannot be used is one warning naming it, and the connection goes on without it: a typo in a
// path must not crash the host or stop its telemetry altogether. Read without ever blocking and
// bounded in size (read-small-file.ts): a FIFO or /dev/zero must not hang the exit nor fill memory.

import type { Logger } from '../log/logger';
import { readSmallFile } from './read-small-file';

/** A certificate bundle or key is a few KiB; a megabyte is generous and still bounded. */
const MAX_PEM_BYTES = 1024 * 1024;

function tryRead(file: string): { pem: Buffer } | { reason: string } {
  try {
    return { pem: readSmallFile(file, MAX_PEM_BYTES) };
  } catch (err) {
    return { reason: (err as NodeJS.ErrnoException).code ?? (err as Error).message };
  }
}

/** `describe(file)` names the file in the warning, e.g. `OTEL_NODE_OPAMP_CERTIFICATE=/x.pem`. */
export function readPem(file: string | undefined, describe: (file: string) => string, log: Logger): Buffer | undefined {
  if (!file) return undefined;
  const read = tryRead(file);
  if ('pem' in read) return read.pem;
  // Every signal reads the same file: one warning, not one per signal.
  log.warnOnce(`pem:${file}`, `${describe(file)} cannot be used (${read.reason}); connecting without it.`);
  return undefined;
}

/**
 * The same file as text, silently: for the flush at exit (inside the 'exit' event), whose worker
 * thread takes strings; the exporter built earlier already named an unusable file.
 */
export function readPemText(file: string | undefined): string | undefined {
  if (!file) return undefined;
  const read = tryRead(file);
  return 'pem' in read ? read.pem.toString('utf8') : undefined;
}
