// A certificate or key setting that names something that never ends (a FIFO nobody writes, a
// device such as /dev/zero) must not hang start-up or exit, nor fill memory: one warning naming
// the file, the app's output and exit code unchanged, the exit within the shutdown bound.

import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from '../helpers/processes';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'otel-preload-pem-'));
const fifo = path.join(dir, 'never-written.pem');
execFileSync('mkfifo', [fifo]);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const JOB = path.join('guards', 'job.js');
const BOUND_MS = 2000;

describe('PEM settings that never end', () => {
  const cases: Array<[string, string]> = [
    ['OTEL_EXPORTER_OTLP_CERTIFICATE', fifo],
    ['OTEL_EXPORTER_OTLP_CLIENT_KEY', '/dev/zero'],
    ['OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE', dir],
  ];
  it.each(cases)('%s=%s: one warning, exit code and stdout unchanged, exit within the bound', async (name, file) => {
    const plain = await run([JOB], { env: {} });
    const result = await run([JOB], {
      env: { NODE_OPTIONS: '--require otel-preload/register', [name]: file, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9', OTEL_NODE_SHUTDOWN_TIMEOUT: String(BOUND_MS) },
    });
    expect(result.code).toBe(plain.code);
    expect(result.stdout).toBe(plain.stdout);
    expect(result.elapsedMs, result.stderr).toBeLessThan(plain.elapsedMs + BOUND_MS + 3000);
    const warnings = result.stderr.split('\n').filter((l) => l.includes(file));
    expect(warnings, result.stderr).toEqual([expect.stringMatching(/cannot be used \((it is not a regular file|EISDIR)\); connecting without it\.$/)]);
  });
});
