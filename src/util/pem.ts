// Reads the certificate and key files named by settings (OTLP exporters, OpAMP). A file that
// cannot be read is one warning naming it, and the connection goes on without it: a typo in a
// path must not crash the host or stop its telemetry altogether.

import { readFileSync } from 'fs';
import type { Logger } from '../log/logger';

/** `describe(file)` names the file in the warning, e.g. `OTEL_NODE_OPAMP_CERTIFICATE=/x.pem`. */
export function readPem(file: string | undefined, describe: (file: string) => string, log: Logger): Buffer | undefined {
  if (!file) return undefined;
  try {
    return readFileSync(file);
  } catch (err) {
    log.warn(`${describe(file)} cannot be read (${(err as NodeJS.ErrnoException).code ?? err}); connecting without it.`);
    return undefined;
  }
}

/**
 * The same file as text, silently: for the flush at exit, whose worker thread takes strings; the
 * exporter built earlier already named an unreadable file.
 */
export function readPemText(file: string | undefined): string | undefined {
  if (!file) return undefined;
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
