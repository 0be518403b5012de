// The OpAMP cache against hostile local users. The tests run as root; the app runs as root or as
// `nobody` (a second local user), against cache files planted by the other one: a file owned by
// someone else, a group/other-writable file, a FIFO, a symlinked target, a symlink planted at the
// temp name. Whether a planted config was applied is read from the first AgentToServer the app
// sends (its effective config and remote-config status) — a positive marker, never a sleep.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { execFileSync } from 'child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { stderrLines as lines, type Running } from '../helpers/processes';
import { RemoteConfigStatuses, effective, type SpecOpampServer } from '../helpers/opamp-server';
import { opampSetup } from '../helpers/opamp-setup';
import { DEADLINE_MS, waitUntil } from '../helpers/wait';

const APPLIED = RemoteConfigStatuses.RemoteConfigStatuses_APPLIED;
const NOBODY = 65534;
const asRoot = process.getuid?.() === 0;
if (!asRoot) console.log('opamp-cache: these tests need root (to run the app as a second user); skipped');

// 0755: the app may run as nobody and must reach the directories made in it.
const setup = opampSetup('otel-preload-opamp-cache-', 0o755);
const { newServer } = setup;
const cleanup: string[] = [];
afterEach(() => {
  for (const p of cleanup.splice(0)) fs.rmSync(p, { recursive: true, force: true });
});

/** As root or as `uid`, finding its cache where the preload would by default unless `env` names one. */
function startApp(service: string, endpoint: string, env: Record<string, string | undefined>, uid = 0): Running {
  return setup.startApp(service, endpoint, { OTEL_NODE_OPAMP_CACHE_FILE: undefined, HOME: uid === 0 ? process.env.HOME : '/nonexistent', XDG_CACHE_HOME: undefined, ...env }, uid);
}

/** A cache file as the preload writes it, holding `{ traces_enabled: false }`. */
const PLANTED_HASH = 'ee'.repeat(16);
const planted = JSON.stringify({ hash: PLANTED_HASH, configMap: { 'otel-preload': { contentType: 'application/json', body: Buffer.from(JSON.stringify({ traces_enabled: false })).toString('base64') } } });

function plant(file: string, owner: number, mode = 0o644): void {
  fs.writeFileSync(file, planted);
  fs.chownSync(file, owner, owner);
  fs.chmodSync(file, mode);
}

function dirFor(name: string, owner: number, mode: number): string {
  const dir = path.join(setup.tmp(), name);
  fs.mkdirSync(dir);
  fs.chownSync(dir, owner, owner);
  fs.chmodSync(dir, mode);
  return dir;
}

/** What the first message says: was the planted config applied? */
async function plantedApplied(server: SpecOpampServer): Promise<boolean> {
  await server.waitFor((r) => r.length >= 1, DEADLINE_MS, 'the first AgentToServer');
  const first = server.received[0].a2s;
  const status = first.remoteConfigStatus;
  const applied = effective(first).traces_enabled === false;
  expect(applied).toBe(status !== undefined && Buffer.from(status.lastRemoteConfigHash).toString('hex') === PLANTED_HASH);
  return applied;
}

async function pushAndWaitApplied(server: SpecOpampServer, config: unknown): Promise<Uint8Array> {
  const hash = server.setConfig({ 'otel-preload': config });
  await server.waitFor((r) => r.some((x) => x.a2s.remoteConfigStatus?.status === APPLIED && Buffer.from(x.a2s.remoteConfigStatus.lastRemoteConfigHash).equals(Buffer.from(hash))), DEADLINE_MS, 'APPLIED');
  return hash;
}

describe.skipIf(!asRoot)('the default cache location is private to the user', () => {
  it('a config planted in the shared temp directory (the old default) is not applied; ours goes to $XDG_CACHE_HOME/otel-preload, 0700/0600', async () => {
    const service = `opamp-planted-${process.pid}`;
    const shared = path.join(os.tmpdir(), 'otel-preload');
    fs.mkdirSync(shared, { recursive: true });
    const trap = path.join(shared, `opamp-${service}.json`);
    cleanup.push(trap);
    plant(trap, NOBODY);
    const xdg = dirFor('xdg-root', 0, 0o700);
    const server = await newServer();
    const app = startApp(service, server.endpoint, { XDG_CACHE_HOME: xdg });
    expect(await plantedApplied(server)).toBe(false);
    const hash = await pushAndWaitApplied(server, { log_level: 'warn' });
    const file = path.join(xdg, 'otel-preload', `opamp-${service}.json`);
    await waitForFile(file);
    expect(JSON.parse(fs.readFileSync(file, 'utf8')).hash).toBe(Buffer.from(hash).toString('hex'));
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    expect(lines(app)).toEqual([]);
  });

  it('as nobody with no usable home: a 0700 directory named for the uid; one pre-created by someone else is refused', async () => {
    const own = path.join(os.tmpdir(), `otel-preload-${NOBODY}`);
    fs.rmSync(own, { recursive: true, force: true });
    cleanup.push(own);
    const service = 'opamp-nobody-default';
    const server = await newServer();
    startApp(service, server.endpoint, {}, NOBODY);
    await pushAndWaitApplied(server, { log_level: 'warn' });
    const file = path.join(own, `opamp-${service}.json`);
    await waitForFile(file);
    expect(fs.statSync(own)).toMatchObject({ uid: NOBODY, mode: expect.any(Number) });
    expect(fs.statSync(own).mode & 0o777).toBe(0o700);
    expect(fs.statSync(file).uid).toBe(NOBODY);

    // Another user (root here) got there first and planted a config: the cache is off, one warning.
    await setup.killApps();
    fs.rmSync(own, { recursive: true, force: true });
    fs.mkdirSync(own, { mode: 0o777 });
    fs.chmodSync(own, 0o777);
    plant(path.join(own, `opamp-${service}.json`), NOBODY);
    const server2 = await newServer();
    const app = startApp(service, server2.endpoint, {}, NOBODY);
    expect(await plantedApplied(server2)).toBe(false);
    expect(lines(app)).toEqual([expect.stringMatching(new RegExp(`the OpAMP cache is off: .*otel-preload-${NOBODY} belongs to uid 0, not to us \\(uid ${NOBODY}\\)`))]);
  });
});

describe.skipIf(!asRoot)('a cache file is read only if it is trustworthy', () => {
  it.each([
    ['root app, file owned by nobody in a shared (1777) directory', 0, () => dirFor('shared-a', 0, 0o1777), NOBODY, 0o644, /is owned by uid 65534, not by us \(uid 0\) or root/],
    ['nobody app, file owned by root in a shared (1777) directory', NOBODY, () => dirFor('shared-b', 0, 0o1777), 0, 0o644, /is owned by root in a directory that is not root-owned or is writable by others/],
    ['nobody app, root-owned file in a root-owned directory writable by others (0777)', NOBODY, () => dirFor('shared-c', 0, 0o777), 0, 0o644, /is owned by root in a directory that is not root-owned or is writable by others/],
    ['root app, its own file writable by others', 0, () => dirFor('own-d', 0, 0o755), 0, 0o666, /is writable by group or others \(mode 666\)/],
    ['nobody app, its own file writable by its group', NOBODY, () => dirFor('own-e', NOBODY, 0o755), NOBODY, 0o664, /is writable by group or others \(mode 664\)/],
  ])('%s: one warning, ignored', async (_name, appUid, makeDir, owner, mode, why) => {
    const file = path.join(makeDir(), 'cache.json');
    plant(file, owner, mode);
    const server = await newServer();
    const app = startApp('opamp-untrusted', server.endpoint, { OTEL_NODE_OPAMP_CACHE_FILE: file }, appUid);
    expect(await plantedApplied(server)).toBe(false);
    expect(lines(app)).toEqual([expect.stringMatching(why)]);
  });

  it('the default path (not set by the operator): the warning names the OpAMP cache file, not OTEL_NODE_OPAMP_CACHE_FILE', async () => {
    const xdg = dirFor('xdg-label', 0, 0o700);
    fs.mkdirSync(path.join(xdg, 'otel-preload'), { mode: 0o700 });
    const file = path.join(xdg, 'otel-preload', 'opamp-opamp-label.json');
    plant(file, 0, 0o666);
    const server = await newServer();
    const app = startApp('opamp-label', server.endpoint, { XDG_CACHE_HOME: xdg });
    expect(await plantedApplied(server)).toBe(false);
    expect(lines(app)).toEqual([`otel-preload warn: the OpAMP cache file ${file} is writable by group or others (mode 666); it is ignored and local configuration applies.`]);
  });

  it('nobody app, root-owned read-only file in a root-owned 0755 directory: applied (a fleet default)', async () => {
    const file = path.join(dirFor('fleet', 0, 0o755), 'cache.json');
    plant(file, 0, 0o444);
    const server = await newServer();
    const app = startApp('opamp-fleet-default', server.endpoint, { OTEL_NODE_OPAMP_CACHE_FILE: file }, NOBODY);
    expect(await plantedApplied(server)).toBe(true);
    expect(lines(app)).toEqual([]);
  });

  it('a FIFO at the cache path: start-up does not block; one warning', async () => {
    const file = path.join(dirFor('fifo', 0, 0o700), 'cache.json');
    execFileSync('mkfifo', ['-m', '600', file]);
    const server = await newServer();
    const t0 = Date.now();
    const app = startApp('opamp-fifo', server.endpoint, { OTEL_NODE_OPAMP_CACHE_FILE: file });
    await app.waitForLine(/listening (\d+)/, DEADLINE_MS);
    expect(Date.now() - t0).toBeLessThan(20_000);
    expect(await plantedApplied(server)).toBe(false);
    expect(lines(app)).toEqual([expect.stringMatching(/cache\.json is not a regular file; it is ignored/)]);
  });

  it('a symlinked cache path is not followed on read, and is replaced (its target untouched) on write', async () => {
    const dir = dirFor('symlink-target', 0, 0o700);
    const target = path.join(dir, 'elsewhere.json');
    plant(target, 0, 0o600);
    const file = path.join(dir, 'cache.json');
    fs.symlinkSync(target, file);
    const server = await newServer();
    const app = startApp('opamp-symlink', server.endpoint, { OTEL_NODE_OPAMP_CACHE_FILE: file });
    expect(await plantedApplied(server)).toBe(false);
    expect(lines(app)).toEqual([expect.stringMatching(/cache\.json is a symbolic link; it is ignored/)]);
    const hash = await pushAndWaitApplied(server, { log_level: 'warn' });
    await waitUntil(() => !fs.lstatSync(file).isSymbolicLink(), DEADLINE_MS, 'the cache file to replace the symlink');
    expect(JSON.parse(fs.readFileSync(file, 'utf8')).hash).toBe(Buffer.from(hash).toString('hex'));
    expect(fs.readFileSync(target, 'utf8')).toBe(planted);
  });

  it('a symlink planted at the temp name of the old writer (<cache>.<pid>.tmp) is never followed', async () => {
    const dir = dirFor('symlink-tmp', 0, 0o700);
    const victim = path.join(dir, 'victim.txt');
    fs.writeFileSync(victim, 'precious\n');
    const file = path.join(dir, 'cache.json');
    const server = await newServer();
    const app = startApp('opamp-symlink-tmp', server.endpoint, { OTEL_NODE_OPAMP_CACHE_FILE: file });
    fs.symlinkSync(victim, `${file}.${app.child.pid}.tmp`);
    await app.waitForLine(/listening (\d+)/, DEADLINE_MS);
    const hash = await pushAndWaitApplied(server, { log_level: 'warn' });
    await waitForFile(file);
    expect(JSON.parse(fs.readFileSync(file, 'utf8')).hash).toBe(Buffer.from(hash).toString('hex'));
    expect(fs.readFileSync(victim, 'utf8')).toBe('precious\n');
    // Nothing left behind but the planted link: the temp file was renamed away.
    expect(fs.readdirSync(dir).sort()).toEqual(['cache.json', `cache.json.${app.child.pid}.tmp`, 'victim.txt']);
  });
});

const waitForFile = (file: string) => waitUntil(() => fs.existsSync(file), 15_000, file);
