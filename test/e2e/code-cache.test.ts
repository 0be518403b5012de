// The code cache of our own files (src/util/code-cache.ts): on Node 22 and later the second start
// compiles every one of our files from the cache and writes nothing; the app's files and its
// node_modules never go in; a corrupted cache is rejected by V8 and rewritten; a cache place that is not safely ours is
// refused; OTEL_NODE_CODE_CACHE=false and Node 20 write nothing. Every run must serve its requests
// and export its SERVER span, exactly as without the cache.

import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OtlpReceiver } from '../../scripts/otlp-receiver';
import { nodeBinary } from '../../scripts/node-binaries';
import { get, REPO, start } from '../helpers/processes';
import { DEADLINE_MS, waitUntil } from '../helpers/wait';

const NODE_OPTIONS = `--require ${path.join(REPO, 'register.cjs')}`;
const CACHE_LINE = /otel-preload debug: code cache: (\d+) of our files compiled from (\S+), (\d+) rejected by V8, (\d+) written in \d+ ms\./g;

let receiver: OtlpReceiver;
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'code-cache-'));
// The app lives outside our package, as a user's does, with a library of its own in node_modules.
const APP_DIR = path.join(scratch, 'app');
const APP = path.join(APP_DIR, 'server.js');
const APP_LIB = path.join(APP_DIR, 'node_modules', 'tiny-lib', 'index.js');
fs.mkdirSync(path.dirname(APP_LIB), { recursive: true });
fs.writeFileSync(APP_LIB, "exports.answer = (id) => JSON.stringify({ id });\n");
fs.writeFileSync(
  APP,
  `const http = require('http');
const { answer } = require('tiny-lib');
const server = http.createServer((req, res) => {
  if (req.url === '/shutdown') { res.end('bye'); return server.close(); }
  res.setHeader('content-type', 'application/json');
  res.end(answer(req.url));
});
server.listen(0, '127.0.0.1', () => console.log('listening ' + server.address().port));
`,
);
beforeAll(async () => {
  receiver = await new OtlpReceiver('grpc').start();
});
afterAll(async () => {
  await receiver?.stop();
  fs.rmSync(scratch, { recursive: true, force: true });
});

interface Outcome {
  cacheLine?: { hits: number; dir: string; rejected: number; written: number };
  stderr: string;
}

/** One run of the CommonJS fixture: a request served and its SERVER span exported, then a clean exit. */
async function runApp(node: string, xdg: string, env: Record<string, string> = {}, waitForCacheLine = true): Promise<Outcome> {
  const service = `code-cache-${path.basename(xdg)}-${Math.random().toString(36).slice(2, 8)}`;
  const proc = start([APP], {
    node,
    cwd: APP_DIR,
    env: { NODE_OPTIONS, XDG_CACHE_HOME: xdg, OTEL_LOG_LEVEL: 'debug', OTEL_SERVICE_NAME: service, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_METRIC_EXPORT_INTERVAL: '60000', OTEL_BSP_SCHEDULE_DELAY: '100', ...env },
  });
  const [, port] = await proc.waitForLine(/listening (\d+)/, DEADLINE_MS);
  const answer = await get(`http://127.0.0.1:${port}/users/42`);
  expect(answer).toEqual({ status: 200, body: '{"id":"/users/42"}' });
  await receiver.waitFor((r) => r.spans.some((s) => s.resource['service.name'] === service && s.kind === 'SPAN_KIND_SERVER' && s.attributes['url.path'] === '/users/42'), DEADLINE_MS, `the SERVER span of ${service}`);
  // The positive marker for "the cache did its work": the line written a second after start. Without
  // a cache the exported span is the marker that start-up is over (the cache would be installed by then).
  if (waitForCacheLine) await waitUntil(() => proc.stderr().includes('otel-preload debug: code cache: '), DEADLINE_MS, 'the code cache line');
  await get(`http://127.0.0.1:${port}/shutdown`);
  const finished = await proc.exited;
  expect(finished.code, finished.stderr).toBe(0);
  // One line at the first write (or, with nothing to write, once), one more for each later write:
  // hits and rejections so far, and what that write wrote.
  const lines = [...finished.stderr.matchAll(CACHE_LINE)];
  if (!lines.length) return { stderr: finished.stderr };
  const last = lines[lines.length - 1];
  const written = lines.reduce((sum, m) => sum + Number(m[4]), 0);
  return { stderr: finished.stderr, cacheLine: { hits: Number(last[1]), dir: last[2].replace(/,$/, ''), rejected: Number(last[3]), written } };
}

const entries = (dir: string) => fs.readdirSync(dir).filter((f) => !f.endsWith('.tmp'));

describe.each(['24.21.0', '22.23.3'])('code cache on Node %s', (version) => {
  const node = nodeBinary(version);
  const xdg = path.join(scratch, `node-${version}`);

  it('the first start writes our files, the second compiles them from the cache and rewrites none', async () => {
    fs.mkdirSync(xdg, { mode: 0o700 });
    const first = (await runApp(node, xdg)).cacheLine!;
    expect(first.hits).toBe(0);
    expect(first.rejected).toBe(0);
    expect(first.written).toBeGreaterThan(100);
    expect(path.dirname(first.dir)).toBe(path.join(xdg, 'otel-preload', 'code-cache'));
    // Every write landed whole (no temporary file left), each entry private.
    expect(fs.readdirSync(first.dir).length).toBe(first.written);
    for (const f of entries(first.dir)) expect(fs.statSync(path.join(first.dir, f)).mode & 0o077).toBe(0);
    expect(fs.statSync(first.dir).mode & 0o077).toBe(0);
    const before = new Map(entries(first.dir).map((f) => [f, fs.statSync(path.join(first.dir, f)).mtimeMs]));

    const second = (await runApp(node, xdg)).cacheLine!;
    expect(second.dir).toBe(first.dir);
    expect(second.rejected).toBe(0);
    expect(second.hits).toBeGreaterThan(100);
    // No entry of the first run was compiled again; what the second wrote is what it had not cached.
    for (const [f, mtime] of before) expect(fs.statSync(path.join(first.dir, f)).mtimeMs, f).toBe(mtime);
    expect(entries(first.dir).length).toBe(before.size + second.written);
  });

  it("the app's own files and node_modules never go into the cache; ours do", async () => {
    const { dir } = (await runApp(node, xdg)).cacheLine!;
    const cached = new Set(entries(dir));
    const key = (file: string) => crypto.createHash('sha1').update(file).update('\0').update(fs.readFileSync(file, 'utf8')).digest('hex');
    for (const f of [APP, APP_LIB]) expect(cached.has(key(f)), f).toBe(false);
    // The positive control: a file of ours loaded after the cache is installed is there under the same key.
    expect(cached.has(key(path.join(REPO, 'build', 'src', 'sdk', 'index.js')))).toBe(true);
  });

  it('a corrupted cache is rejected by V8, the app runs as before, and what it loaded is written again', async () => {
    const { dir } = (await runApp(node, xdg)).cacheLine!;
    const files = entries(dir);
    const garbage = Buffer.from('not a V8 code cache, just bytes');
    for (const f of files) fs.writeFileSync(path.join(dir, f), garbage);
    const corrupted = (await runApp(node, xdg)).cacheLine!;
    expect(corrupted.hits).toBe(0);
    expect(corrupted.rejected).toBeGreaterThan(100);
    // Each rejected entry was written again; the rest were not loaded by this run and are left.
    const stillGarbage = files.filter((f) => fs.readFileSync(path.join(dir, f)).equals(garbage));
    expect(stillGarbage.length).toBe(files.length - corrupted.rejected);
    expect(corrupted.written).toBe(corrupted.rejected);
    // Only an entry still garbage can be rejected again (one loaded after the last write, at exit).
    const after = (await runApp(node, xdg)).cacheLine!;
    expect(after.rejected).toBeLessThanOrEqual(stillGarbage.length);
    expect(after.hits).toBeGreaterThan(100);
  });

  it('a cache place that is not safely ours is refused, and nothing is written through it', async () => {
    const hostile = path.join(scratch, `hostile-${version}`);
    const elsewhere = path.join(scratch, `elsewhere-${version}`);
    fs.mkdirSync(path.join(hostile, 'otel-preload'), { recursive: true, mode: 0o700 });
    fs.chmodSync(hostile, 0o700);
    fs.chmodSync(path.join(hostile, 'otel-preload'), 0o700);
    fs.mkdirSync(elsewhere, { mode: 0o700 });
    fs.symlinkSync(elsewhere, path.join(hostile, 'otel-preload', 'code-cache'));
    const out = await runApp(node, hostile, {}, false);
    expect(out.stderr).toMatch(/code cache off: \S+code-cache is a symbolic link; our files are compiled at every start\./);
    expect(out.cacheLine).toBeUndefined();
    expect(fs.readdirSync(elsewhere)).toEqual([]);
  });

  it('OTEL_NODE_CODE_CACHE=false writes nothing', async () => {
    const off = path.join(scratch, `off-${version}`);
    fs.mkdirSync(off, { mode: 0o700 });
    const out = await runApp(node, off, { OTEL_NODE_CODE_CACHE: 'false' }, false);
    expect(out.cacheLine).toBeUndefined();
    expect(fs.existsSync(path.join(off, 'otel-preload', 'code-cache'))).toBe(false);
  });
});

describe(`no code cache on Node ${process.versions.node} (it does not pay there)`, () => {
  it.runIf(Number(process.versions.node.split('.')[0]) < 22)('writes nothing', async () => {
    const xdg = path.join(scratch, 'system-node');
    fs.mkdirSync(xdg, { mode: 0o700 });
    const out = await runApp(process.execPath, xdg, {}, false);
    expect(out.cacheLine).toBeUndefined();
    expect(fs.existsSync(path.join(xdg, 'otel-preload', 'code-cache'))).toBe(false);
  });
});
