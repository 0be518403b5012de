// The self-contained folder as the Injector and container images use it: built into a temporary
// prefix, loaded by absolute path through NODE_OPTIONS exactly as the Injector sets it, by a
// non-root user, from another directory, for an app with its own node_modules (including another
// @opentelemetry/api), on the system Node 20 and on Node 24.

import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDist } from '../../scripts/dist';
import { nodeBinary } from '../../scripts/node-binaries';
import { OtlpReceiver } from '../../scripts/otlp-receiver';
import { REPO, run, start, get } from '../helpers/processes';
import { npmCli } from '../helpers/npm-cli';
import { lineForNode } from '../../src/otel-line/line';

const NOBODY = 65534;
let prefix: string;
let dist: string;
let appDir: string;
let receiver: OtlpReceiver;
const nodes: Record<string, string> = {};

beforeAll(async () => {
  prefix = fs.mkdtempSync(path.join(os.tmpdir(), 'otel-preload-dist-'));
  fs.chmodSync(prefix, 0o755);
  dist = buildDist(path.join(prefix, 'usr/lib/opentelemetry')).folder;
  // The documented install path is /usr/lib/opentelemetry/nodejs: same layout under the prefix.
  fs.renameSync(dist, path.join(path.dirname(dist), 'nodejs'));
  dist = path.join(path.dirname(dist), 'nodejs');
  execFileSync('chmod', ['-R', 'a-w', dist]); // read-only for everyone but root

  appDir = path.join(prefix, 'srv/app');
  fs.mkdirSync(appDir, { recursive: true });
  fs.copyFileSync(path.join(REPO, 'fixtures/cjs-app/app.js'), path.join(appDir, 'app.js'));
  fs.writeFileSync(path.join(appDir, 'package.json'), JSON.stringify({ name: 'injected-app', version: '3.1.4', scripts: { hello: 'node -e "console.log(42)"' } }));
  execFileSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--silent', 'express@5.3.0', '@opentelemetry/api@1.8.0', '@opentelemetry/api-logs@0.200.0'], { cwd: appDir, stdio: 'inherit' });
  // Which OpenTelemetry package folders the process read (require.cache) once a request went through.
  fs.writeFileSync(path.join(appDir, 'which-line.js'), WHICH_LINE);
  fs.writeFileSync(path.join(appDir, 'options.js'), "console.log(JSON.stringify({ heapMiB: Math.round(require('v8').getHeapStatistics().heap_size_limit / 2 ** 20), noDeprecation: process.noDeprecation }))\n");
  execFileSync('chmod', ['-R', 'a+rX,a-w', appDir]);

  // Node binaries a non-root user can execute.
  nodes['20 (system)'] = process.execPath;
  const node24 = path.join(prefix, 'node24');
  fs.copyFileSync(nodeBinary('24.21.0'), node24);
  fs.chmodSync(node24, 0o755);
  nodes['24'] = node24;

  receiver = await new OtlpReceiver('grpc').start();
});

afterAll(async () => {
  await receiver?.stop();
  if (prefix) {
    execFileSync('chmod', ['-R', 'u+w', prefix]);
    fs.rmSync(prefix, { recursive: true, force: true });
  }
});

const WHICH_LINE = `const http = require('http');
const s = http.createServer((q, r) => r.end('ok')).listen(0, '127.0.0.1', () => {
  http.get('http://127.0.0.1:' + s.address().port + '/', (res) => {
    res.resume();
    res.on('end', () => {
      s.close();
      const marker = '/node_modules/@opentelemetry/';
      console.log(JSON.stringify([...new Set(Object.keys(require.cache).filter((f) => f.includes(marker)).map((f) => f.slice(0, f.indexOf(marker))))]));
    });
  });
});
`;

const injectorOptions = () => `--require ${dist}/register.cjs --max-old-space-size=256 --no-deprecation`;
const asNobody = { uid: NOBODY, gid: NOBODY };

describe('the distribution folder', () => {
  it('is self-contained and small: entries at the top, production dependencies only, no tests or maps', () => {
    for (const f of ['register.cjs', 'register.mjs', 'package.json', 'injector/nodejs.conf']) expect(fs.existsSync(path.join(dist, f)), f).toBe(true);
    const all = execFileSync('find', [dist, '-type', 'f'], { encoding: 'utf8' }).trim().split('\n');
    expect(all.filter((f) => /\.map$|\.d\.ts$|[\\/](test|tests|__tests__)[\\/]/.test(f))).toEqual([]);
    for (const dev of ['vitest', 'typescript', '@elastic/mockotlpserver', 'express']) expect(fs.existsSync(path.join(dist, 'node_modules', dev)), dev).toBe(false);
    // Both lines, each with the whole catalogue (42 instrumentations) and its dependencies
    // (2026-12-02: 2,708 files, 17.6 MiB — 2.x 1,458 files 10.4 MiB, 3.x 1,148 files 6.8 MiB; pruned by file kind);
    // our own code once, for both.
    expect(all.length).toBeLessThan(3000);
    const bytes = all.reduce((n, f) => n + fs.statSync(f).size, 0);
    expect(bytes).toBeLessThan(22 * 2 ** 20);
    expect(all.filter((f) => f.includes(`${path.sep}lines${path.sep}`) && f.includes(`${path.sep}build${path.sep}src${path.sep}`) && !f.includes('node_modules'))).toEqual([]);
    for (const f of ['lines/3/package.json', 'lines/3/node_modules/@opentelemetry/sdk-trace/package.json']) expect(fs.existsSync(path.join(dist, f)), f).toBe(true);
    expect(fs.existsSync(path.join(path.dirname(dist), 'otel-preload.tgz'))).toBe(true);
  });

  describe.each(['20 (system)', '24'])('on Node %s, as a non-root user, from another directory', (version) => {
    it('exports the app’s spans with the Injector’s resource attributes; the user’s options still apply', async () => {
      const service = `injected-${version.slice(0, 2)}`;
      const env = {
        NODE_OPTIONS: injectorOptions(),
        HOME: prefix,
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
        // What the Injector appends from the pod / host:
        OTEL_RESOURCE_ATTRIBUTES: `k8s.namespace.name=shop,k8s.pod.name=cart-7d9f,k8s.container.name=cart,service.name=${service},service.namespace=shop`,
      };
      const app = start(['app.js'], { node: nodes[version], cwd: appDir, env, ...asNobody });
      const [, port] = await app.waitForLine(/listening (\d+)/);
      expect((await get(`http://127.0.0.1:${port}/users/1`)).status).toBe(200);
      await get(`http://127.0.0.1:${port}/shutdown`);
      const result = await app.exited;
      expect(result.code).toBe(0);
      expect(result.stderr).toBe('');
      await receiver.waitFor((r) => r.spans.some((s) => s.resource['service.name'] === service && s.attributes['http.route'] === '/users/:id'));
      const span = receiver.spans.find((s) => s.resource['service.name'] === service && s.kind === 'SPAN_KIND_SERVER')!;
      expect(span.resource['k8s.pod.name']).toBe('cart-7d9f');
      expect(span.resource['k8s.namespace.name']).toBe('shop');
      expect(span.resource['service.namespace']).toBe('shop');

      const options = await run(['options.js'], { node: nodes[version], cwd: appDir, env, ...asNobody });
      expect(options.code).toBe(0);
      const parsed = JSON.parse(options.stdout);
      expect(parsed.noDeprecation).toBe(true);
      // The default limit on this 24 GiB machine is several GiB.
      expect(parsed.heapMiB).toBeLessThan(1024);
    });

    it('reads only its own line from disk: 2.x from node_modules on Node 20, 3.x from lines/3 on Node 24', async () => {
      const env = { NODE_OPTIONS: injectorOptions(), HOME: prefix, OTEL_TRACES_EXPORTER: 'none', OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' };
      const r = await run(['which-line.js'], { node: nodes[version], cwd: appDir, env, ...asNobody });
      expect(r.code, r.stderr).toBe(0);
      const nodeVersion = execFileSync(nodes[version], ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim();
      expect(JSON.parse(r.stdout)).toEqual([lineForNode(nodeVersion) === '3.x' ? path.join(dist, 'lines', '3') : dist]);
    });

    it('non-app processes are unharmed: node -e and an npm script', async () => {
      const env = { NODE_OPTIONS: injectorOptions(), HOME: prefix, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' };
      const evalResult = await run(['-e', 'console.log(6 * 7)'], { node: nodes[version], cwd: appDir, env, ...asNobody });
      expect(evalResult).toMatchObject({ code: 0, stdout: '42\n', stderr: '' });
      if (version.startsWith('20')) {
        const npm = await run([npmCli(), 'run', '--silent', 'hello'], { node: nodes[version], cwd: appDir, env: { ...env, npm_config_cache: path.join(prefix, 'npm-cache'), npm_config_update_notifier: 'false' }, ...asNobody });
        expect(npm.code).toBe(0);
        expect(npm.stdout).toBe('42\n');
      }
    });
  });
});
