// The semantic conventions served from data (src/otel-line/semconv-lean.ts) must be the installed
// package's exports, on both lines, and must be what a started SDK actually reads.

import { execFileSync } from 'child_process';
import { readFileSync } from 'fs';
import Module = require('module');
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import { DATA_FILE, expectedDataFile } from '../../scripts/semconv-lean';
import { leanSemconvExports, SEMCONV } from '../../src/otel-line/semconv-lean';
import { SEMCONV_VERSION } from '../../src/otel-line/semconv-data';

const root = path.join(__dirname, '../..');
const lines = {
  '2.x': Module.createRequire(path.join(root, 'package.json')),
  '3.x': Module.createRequire(path.join(root, 'lines', '3', 'package.json')),
};

describe('semantic conventions served from data', () => {
  it('the data file is generated from the installed package (node build/scripts/semconv-lean.js --write)', () => {
    expect(readFileSync(path.join(root, DATA_FILE), 'utf8')).toBe(expectedDataFile(root));
  });

  for (const [name, req] of Object.entries(lines)) {
    it(`equals every export of the ${name} line's package, functions included`, () => {
      const dir = path.dirname(req.resolve(`${SEMCONV}`)).replace(/\/dist$/, '');
      expect(JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).version).toBe(SEMCONV_VERSION);
      const real = req(SEMCONV) as Record<string, unknown>;
      const lean = leanSemconvExports();
      expect(Object.keys(lean).sort()).toEqual(Object.keys(real).sort());
      let functions = 0;
      for (const [key, value] of Object.entries(real)) {
        if (typeof value === 'function') {
          functions++;
          expect((lean[key] as (k: string) => string)('a.b'), key).toBe((value as (k: string) => string)('a.b'));
        } else {
          expect(lean[key], key).toEqual(value);
        }
      }
      expect(functions).toBeGreaterThan(0);
    });
  }

  it('a process under the preload reads the data: none of the package code files is loaded', () => {
    // One HTTP round trip (the SDK and instrumentation-http start), then which package files were loaded.
    const script = `
      const http = require('http');
      const server = http.createServer((q, s) => s.end('ok')).listen(0, '127.0.0.1', () => {
        http.get({ host: '127.0.0.1', port: server.address().port, path: '/p' }, (res) => res.resume().on('end', () => {
          server.close();
          const files = Object.keys(require.cache).filter((f) => f.includes('semantic-conventions'));
          const entry = files.find((f) => f.endsWith('index.cjs'));
          console.log(JSON.stringify({ files, method: entry && require.cache[entry].exports.ATTR_HTTP_REQUEST_METHOD }));
          process.exit(0);
        }));
      });`;
    const out = execFileSync(process.execPath, ['--require', path.join(root, 'register.cjs'), '-e', script], {
      env: { ...process.env, OTEL_TRACES_EXPORTER: 'none', OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none', NODE_OPTIONS: '' },
      encoding: 'utf8',
    });
    const { files, method } = JSON.parse(out.trim().split('\n').pop()!);
    expect(method).toBe('http.request.method');
    // The entry's cache slot is there (served from data); none of the files it would have loaded.
    expect(files.some((f: string) => f.endsWith(path.join('dist', 'index.cjs')))).toBe(true);
    expect(files.filter((f: string) => !f.endsWith(path.join('dist', 'index.cjs')))).toEqual([]);
  });
});
