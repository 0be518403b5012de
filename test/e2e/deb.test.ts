// The .deb for Injector hosts (scripts/deb.ts), installed with dpkg into a temporary root: files
// where the Injector drop-in says, register.js beside register.cjs, an upgrade that replaces the
// old version in place (its removed files gone, nothing nested), and a real app run as `nobody`
// against the installed path, exporting to a real OTLP receiver; then removal.

import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DROP_IN, INSTALL_DIR, PACKAGE, pack, stageTree } from '../../scripts/deb';
import { OtlpReceiver } from '../../scripts/otlp-receiver';
import { DEADLINE_MS } from '../helpers/wait';
import { REPO, run } from '../helpers/processes';
import { checkDist } from '../../scripts/dist-check';

const NOBODY = 65534;
let work: string;
let root: string;
let debs: { old: string; next: string };
let receiver: OtlpReceiver;
let httpReceiver: OtlpReceiver;
let app: http.Server;

const dpkg = (...args: string[]) => execFileSync('dpkg', [`--root=${root}`, '--log=/dev/null', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const installed = (p = '') => path.join(root, INSTALL_DIR, p);

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'otel-preload-debtest-'));
  const stage = path.join(work, 'stage');
  stageTree(stage);
  // The "old" release carries a file the new one no longer has.
  fs.writeFileSync(path.join(stage, INSTALL_DIR, 'build/src/legacy-only.js'), '// removed in 0.1.1\n');
  const old = pack(stage, '0.1.0', path.join(work, 'out-old'));
  fs.rmSync(path.join(stage, INSTALL_DIR, 'build/src/legacy-only.js'));
  fs.rmSync(path.join(stage, 'DEBIAN'), { recursive: true });
  const next = pack(stage, '0.1.1', path.join(work, 'out-new'));
  debs = { old, next };

  root = path.join(work, 'root');
  for (const d of ['var/lib/dpkg/info', 'var/lib/dpkg/updates', 'var/lib/dpkg/triggers']) fs.mkdirSync(path.join(root, d), { recursive: true });
  fs.writeFileSync(path.join(root, 'var/lib/dpkg/status'), '');
  execFileSync('chmod', ['a+rx', work, root]);

  receiver = await new OtlpReceiver('grpc').start();
  httpReceiver = await new OtlpReceiver('http/protobuf').start();
  app = http.createServer((_req, res) => res.end('ok'));
  await new Promise<void>((r) => app.listen(0, '127.0.0.1', () => r()));
}, 300_000);

afterAll(async () => {
  await receiver?.stop();
  await httpReceiver?.stop();
  await new Promise((r) => app?.close(r));
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

const status = () => dpkg('-s', PACKAGE);

describe('.deb for the Injector', () => {
  it('installs the distribution, register.js and the drop-in pointing at an existing file', () => {
    dpkg('-i', debs.old);
    expect(status()).toMatch(/Status: install ok installed[\s\S]*Version: 0\.1\.0/);
    for (const f of ['register.cjs', 'register.mjs', 'register.js', 'package.json', 'build/src/legacy-only.js']) expect(fs.existsSync(installed(f)), f).toBe(true);
    const dropIn = fs.readFileSync(path.join(root, DROP_IN), 'utf8');
    const agent = dropIn.match(/^nodejs_auto_instrumentation_agent_path=(.+)$/m)![1];
    expect(fs.existsSync(path.join(root, agent))).toBe(true);
    expect(fs.readFileSync(path.join(root, 'var/lib/dpkg/info', `${PACKAGE}.conffiles`), 'utf8')).toBe(`/${DROP_IN}\n`);
  });

  it('upgrades in place: the old version’s files are gone, nothing nested', () => {
    dpkg('-i', debs.next);
    expect(status()).toMatch(/Version: 0\.1\.1/);
    expect(fs.existsSync(installed('build/src/legacy-only.js'))).toBe(false);
    expect(fs.readdirSync(path.dirname(installed()))).toEqual(['nodejs']);
    expect(fs.readdirSync(installed()).filter((f) => ['nodejs', 'otel-preload'].includes(f))).toEqual([]);
  });

  it.each(['register.js', 'register.cjs'])('a real app run as nobody with --require <installed>/%s exports its telemetry', async (entry) => {
    const service = `deb-${entry.replace('.', '-')}`;
    const job = `require('http').get('http://127.0.0.1:${(app.address() as AddressInfo).port}/', (r) => { r.resume(); r.on('end', () => console.log('done')); })`;
    const finished = await run(['-e', job], { cwd: os.tmpdir(), uid: NOBODY, gid: NOBODY, env: { NODE_OPTIONS: `--require ${installed(entry)}`, OTEL_SERVICE_NAME: service, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, HOME: os.tmpdir() } });
    expect({ code: finished.code, stdout: finished.stdout, stderr: finished.stderr }).toEqual({ code: 0, stdout: 'done\n', stderr: '' });
    await receiver.waitFor((r) => r.spans.some((s) => s.resource['service.name'] === service && s.kind === 'SPAN_KIND_CLIENT'), DEADLINE_MS);
  });

  it('OTEL_CONFIG_FILE works from the installed package (its yaml is whole: issue #26) and every require in it resolves', async () => {
    expect(checkDist(installed())).toEqual([]);
    const file = path.join(work, 'otel-config.yaml');
    fs.copyFileSync(path.join(REPO, 'fixtures/config-file/reference.yaml'), file);
    fs.chmodSync(file, 0o644);
    const job = `require('http').get('http://127.0.0.1:${(app.address() as AddressInfo).port}/', (r) => { r.resume(); r.on('end', () => console.log('done')); })`;
    const finished = await run(['-e', job], { cwd: os.tmpdir(), uid: NOBODY, gid: NOBODY, env: { NODE_OPTIONS: `--require ${installed('register.cjs')}`, OTEL_CONFIG_FILE: file, OTEL_SERVICE_NAME: 'deb-config-file', OTEL_EXPORTER_OTLP_ENDPOINT: httpReceiver.endpoint, HOME: os.tmpdir() } });
    expect({ code: finished.code, stdout: finished.stdout, stderr: finished.stderr }).toEqual({ code: 0, stdout: 'done\n', stderr: '' });
    await httpReceiver.waitFor((r) => r.spans.some((s) => s.resource['service.name'] === 'deb-config-file' && s.kind === 'SPAN_KIND_CLIENT'), DEADLINE_MS);
  });

  it('removes cleanly', () => {
    dpkg('--purge', PACKAGE);
    expect(fs.existsSync(installed())).toBe(false);
    expect(fs.existsSync(path.join(root, DROP_IN))).toBe(false);
  });
});
