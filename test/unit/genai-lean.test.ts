// "No GenAI code loads until an LLM SDK does": a process under the preload that makes spans but
// loads no LLM SDK has no GenAI metrics processor (instrumentations/genai/span-metrics.ts) in its
// module cache; its first GenAI span (any maker) loads it.

import { execFileSync } from 'child_process';
import * as path from 'path';
import { describe, expect, it } from 'vitest';

const root = path.join(__dirname, '../..');

/** Runs `body` after one HTTP round trip under the preload (the SDK started, spans ended), then prints the GenAI files loaded. */
function genaiFilesAfter(body: string): string[] {
  const script = `
    const http = require('http');
    const server = http.createServer((q, s) => s.end('ok')).listen(0, '127.0.0.1', () => {
      http.get({ host: '127.0.0.1', port: server.address().port, path: '/p' }, (res) => res.resume().on('end', () => {
        server.close();
        ${body}
        setImmediate(() => {
          console.log(JSON.stringify(Object.keys(require.cache).filter((f) => f.includes('${path.join('instrumentations', 'genai')}'))));
          process.exit(0);
        });
      }));
    });`;
  const out = execFileSync(process.execPath, ['--require', path.join(root, 'register.cjs'), '-e', script], {
    env: { ...process.env, OTEL_TRACES_EXPORTER: 'none', OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none', NODE_OPTIONS: '' },
    encoding: 'utf8',
  });
  return JSON.parse(out.trim().split('\n').pop()!);
}

describe('GenAI code stays unloaded without an LLM SDK', () => {
  it('spans that are not GenAI spans load no GenAI metrics processor', () => {
    const files = genaiFilesAfter('');
    expect(files.filter((f) => /span-metrics|semconv|content|messages|call\.js/.test(path.basename(f)))).toEqual([]);
  });

  it('the first GenAI span loads it (an SDK that traces itself, through @opentelemetry/api)', () => {
    // The API the preload registered its provider with: its line's.
    const line = JSON.stringify(path.join(root, 'build', 'src', 'otel-line', 'line.js'));
    const files = genaiFilesAfter(`require(${line}).lineRequire('@opentelemetry/api').trace.getTracer('some-llm-sdk').startSpan('chat m', { kind: 2, attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'x' } }).end();`);
    expect(files.some((f) => path.basename(f) === 'span-metrics.js')).toBe(true);
  });
});
