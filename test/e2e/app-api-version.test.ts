// Apps bring their own @opentelemetry/api, older or newer than ours. The API hands an app the
// global providers only when the version that registered them is at least its own minor version,
// so the preload must register with the newest 1.x API: otherwise an app on a newer API gets
// no-op spans, silently. Installed once from the npm registry into a cache, as the corpus is.

import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, run } from '../helpers/processes';

const CACHE = process.env.OTEL_PRELOAD_CORPUS_CACHE ?? path.join(os.homedir(), '.cache', 'otel-preload-corpus');

function apiDir(version: string): string {
  const dir = path.join(CACHE, `app-api-${version}`);
  if (!fs.existsSync(path.join(dir, 'node_modules/@opentelemetry/api/package.json'))) {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: `app-api-${version}`, private: true }));
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--silent', `@opentelemetry/api@${version}`], { cwd: dir, stdio: 'ignore', env: { ...process.env, NODE_OPTIONS: '' } });
  }
  return dir;
}

describe("the app's own @opentelemetry/api", () => {
  it.each(['1.4.1', '1.9.0', '1.10.0'])("api %s: the app's manual span is recorded by the preload's SDK", async (version) => {
    const dir = apiDir(version);
    const result = await run([path.join(FIXTURES, 'app-api/app.js')], {
      env: { NODE_OPTIONS: '--require otel-preload/register', API_DIR: dir, OTEL_TRACES_EXPORTER: 'none', OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' },
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('recording true\n');
  });
});
