// The core of the end-to-end suite against what we ship: the built distribution (scripts/dist.ts)
// loaded by absolute path, as the Injector, the .deb and container images load it — not the
// checkout. Issue #26: the dist's prune had removed yaml's dist/doc/ (code), so OTEL_CONFIG_FILE
// and remote YAML configs died only there. On Node 20 (2.x line) and Node 24 (3.x line): a
// configuration file gives spans, the exit paths keep their code and signal with every span
// delivered, and an OpAMP `application/yaml` config is APPLIED; every require in it resolves.

import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDist } from '../../scripts/dist';
import { checkDist } from '../../scripts/dist-check';
import { nodeBinary } from '../../scripts/node-binaries';
import { OtlpReceiver } from '../../scripts/otlp-receiver';
import { RemoteConfigStatuses, SpecOpampServer } from '../helpers/opamp-server';
import { FIXTURES, REPO, start, withoutNodeWarnings, type Finished } from '../helpers/processes';
import { DEADLINE_MS } from '../helpers/wait';

const ROUND_TRIPS = 3;
let prefix: string;
let dist: string;
let grpc: OtlpReceiver;
let http: OtlpReceiver;
const nodes: Record<string, string> = {};

beforeAll(async () => {
  prefix = fs.mkdtempSync(path.join(os.tmpdir(), 'otel-preload-distcore-'));
  fs.chmodSync(prefix, 0o755);
  dist = buildDist(prefix).folder;
  execFileSync('chmod', ['-R', 'a-w', dist]);
  // The system Node 20 runs the first pass; the 3.x pass runs vitest on Node 24, so fetch a 20 then.
  nodes['20'] = process.versions.node.startsWith('20.') ? process.execPath : nodeBinary('20.20.2');
  nodes['24'] = nodeBinary('24.21.0');
  [grpc, http] = await Promise.all([new OtlpReceiver('grpc').start(), new OtlpReceiver('http/protobuf').start()]);
});

afterAll(async () => {
  await grpc?.stop();
  await http?.stop();
  if (prefix) {
    execFileSync('chmod', ['-R', 'u+w', prefix]);
    fs.rmSync(prefix, { recursive: true, force: true });
  }
});

const app = path.join(FIXTURES, 'exit', 'app.js');
const spansOf = (r: OtlpReceiver, service: string) => r.spans.filter((s) => s.resource['service.name'] === service);

function runApp(node: string, env: Record<string, string>, signal?: NodeJS.Signals): Promise<Finished> {
  const child = start([app], { node, cwd: os.tmpdir(), env: { NODE_OPTIONS: `--require ${dist}/register.cjs`, ROUND_TRIPS: String(ROUND_TRIPS), OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none', ...env } });
  const watchdog = setTimeout(() => child.child.kill('SIGKILL'), 30_000);
  if (signal) void child.waitForLine(/listening/, DEADLINE_MS).then(() => child.child.kill(signal), () => undefined);
  return child.exited.finally(() => clearTimeout(watchdog));
}

describe('the npm package (npm pack, then npm install <tgz> into an app)', () => {
  let appDir: string;
  beforeAll(() => {
    appDir = path.join(prefix, 'packed-app');
    fs.mkdirSync(appDir);
    const tgz = execFileSync('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', prefix], { cwd: REPO, encoding: 'utf8' }).trim().split('\n').pop()!;
    fs.writeFileSync(path.join(appDir, 'package.json'), JSON.stringify({ name: 'packed-app', version: '1.0.0' }));
    execFileSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--silent', path.join(prefix, tgz)], { cwd: appDir, stdio: 'inherit' });
  });

  it('ships the 3.x line: every require in the installed package resolves', () => {
    expect(checkDist(path.join(appDir, 'node_modules/otel-preload'))).toEqual([]);
    expect(fs.existsSync(path.join(appDir, 'node_modules/otel-preload/lines/3/node_modules/@opentelemetry/sdk-trace/package.json'))).toBe(true);
  });

  it.each(['20', '24'])('on Node %s an app with --require otel-preload/register exports with its line', async (version) => {
    const service = `packed-${version}`;
    const child = start([app], { node: nodes[version], cwd: appDir, env: { NODE_OPTIONS: '--require otel-preload/register', EXIT_KIND: 'natural', ROUND_TRIPS: String(ROUND_TRIPS), OTEL_SERVICE_NAME: service, OTEL_EXPORTER_OTLP_ENDPOINT: grpc.endpoint, OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' } });
    const r = await child.exited;
    expect({ code: r.code, stderr: withoutNodeWarnings(r.stderr) }).toEqual({ code: 3, stderr: '' });
    await grpc.waitFor(() => spansOf(grpc, service).length >= 2 * ROUND_TRIPS, DEADLINE_MS);
    expect(spansOf(grpc, service)[0].resource['telemetry.sdk.version']).toMatch(version === '24' ? /^3\./ : /^2\./);
  });
});

describe('the built distribution', () => {
  it('every static require/import in it resolves (dist-check)', () => {
    expect(checkDist(dist)).toEqual([]);
    expect(fs.existsSync(path.join(dist, 'node_modules/yaml/dist/doc/directives.js'))).toBe(true);
    expect(fs.existsSync(path.join(dist, 'lines/3/node_modules/yaml/dist/doc/directives.js'))).toBe(true);
  });

  describe.each(['20', '24'])('on Node %s, loaded by absolute path', (version) => {
    const line = version === '24' ? '3' : '2';

    it('OTEL_CONFIG_FILE (the packaging reference file) gives spans, nothing on stderr', async () => {
      const service = `dist-file-${version}`;
      const r = await runApp(nodes[version], { EXIT_KIND: 'natural', OTEL_CONFIG_FILE: path.join(REPO, 'fixtures/config-file/reference.yaml'), OTEL_SERVICE_NAME: service, OTEL_EXPORTER_OTLP_ENDPOINT: http.endpoint });
      expect(withoutNodeWarnings(r.stderr)).toBe('');
      expect(r.code).toBe(3);
      await http.waitFor(() => spansOf(http, service).length >= 2 * ROUND_TRIPS, DEADLINE_MS);
      expect(spansOf(http, service)).toHaveLength(2 * ROUND_TRIPS);
      expect(spansOf(http, service)[0].resource['telemetry.sdk.version']).toMatch(new RegExp(`^${line}\\.`));
    });

    it.each([
      ['process.exit(3)', { EXIT_KIND: 'process-exit' }, 3, null],
      ['SIGTERM, no handler', { EXIT_KIND: 'serve', HANDLER: 'none' }, null, 'SIGTERM'],
    ] as const)('exit path %s: code and signal unchanged, every span delivered', async (name, env, code, signal) => {
      const service = `dist-exit-${version}-${name.replace(/\W+/g, '')}`;
      const r = await runApp(nodes[version], { ...env, OTEL_SERVICE_NAME: service, OTEL_EXPORTER_OTLP_ENDPOINT: grpc.endpoint }, signal ?? undefined);
      expect({ code: r.code, signal: r.signal, stderr: withoutNodeWarnings(r.stderr) }).toEqual({ code, signal, stderr: '' });
      await grpc.waitFor(() => spansOf(grpc, service).length >= 2 * ROUND_TRIPS, DEADLINE_MS);
      expect(spansOf(grpc, service)).toHaveLength(2 * ROUND_TRIPS);
      expect(spansOf(grpc, service)[0].resource['telemetry.sdk.version']).toMatch(new RegExp(`^${line}\\.`));
    });

    it('an OpAMP application/yaml config is APPLIED', async () => {
      const server = await new SpecOpampServer().start();
      try {
        const hash = server.setConfig({ 'otel-preload': 'file_format: "1.1"\nlog_level: warn\ndistribution:\n  otel-preload:\n    logs_enabled: false\n' }, 'application/yaml');
        const service = `dist-opamp-${version}`;
        const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'otel-preload-distcore-cache-'));
        const child = start([app], { node: nodes[version], cwd: os.tmpdir(), env: { NODE_OPTIONS: `--require ${dist}/register.cjs`, EXIT_KIND: 'serve', HANDLER: 'none', ROUND_TRIPS: '1', OTEL_SERVICE_NAME: service, OTEL_EXPORTER_OTLP_ENDPOINT: grpc.endpoint, OTEL_METRICS_EXPORTER: 'none', OTEL_NODE_OPAMP_ENDPOINT: server.endpoint, OTEL_NODE_OPAMP_HEARTBEAT_INTERVAL: '1000', OTEL_NODE_OPAMP_CACHE_FILE: path.join(cache, 'c.json') } });
        try {
          await server.waitFor((rs) => rs.some((r) => r.a2s.remoteConfigStatus?.status === RemoteConfigStatuses.RemoteConfigStatuses_APPLIED && Buffer.from(r.a2s.remoteConfigStatus.lastRemoteConfigHash).equals(Buffer.from(hash))), DEADLINE_MS, 'APPLIED');
          const failed = server.received.find((r) => r.a2s.remoteConfigStatus?.status === RemoteConfigStatuses.RemoteConfigStatuses_FAILED);
          expect(failed?.a2s.remoteConfigStatus?.errorMessage).toBeUndefined();
        } finally {
          child.child.kill('SIGTERM');
          const r = await child.exited;
          fs.rmSync(cache, { recursive: true, force: true });
          expect(r.signal).toBe('SIGTERM');
          expect(withoutNodeWarnings(r.stderr)).toBe('');
        }
      } finally {
        await server.stop();
      }
    });
  });
});
