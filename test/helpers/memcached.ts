// A real memcached server for the tests that need one. CI has no memcached service, but it reaches
// Debian's package mirrors: the server is Debian's own package, fetched with `apt-get download`
// (no root, nothing installed) and unpacked into a cache outside the checkout, as
// scripts/node-binaries.ts caches Node binaries, so that re-runs do not download again. Libraries
// the binary links (libevent, libsasl2) are fetched the same way only when the host lacks them,
// and found through LD_LIBRARY_PATH. Each test gets its own server on a free loopback port, stopped
// by its pid. Anything that stops the server from running is an error that says why: a test that
// needs memcached fails without it, it never skips.

import { execFileSync, spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { DEADLINE_MS, sleep } from './wait';

const CACHE = process.env.OTEL_PRELOAD_MEMCACHED_CACHE ?? path.join(os.homedir(), '.cache', 'otel-preload-memcached');
const DIR = path.join(CACHE, 'root');
const binIn = (root: string) => path.join(root, 'usr', 'bin', 'memcached');
const BIN = binIn(DIR);

function sh(cmd: string, args: string[], cwd?: string, env?: NodeJS.ProcessEnv): string {
  return execFileSync(cmd, args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** The error's own output: what apt-get or the loader said. */
function said(err: unknown): string {
  const e = err as { stderr?: string; message?: string };
  return (e.stderr || e.message || String(err)).trim();
}

/** The unpacked libraries (Debian 12 puts them in /usr/lib/<triplet>, some in /lib/<triplet>) ahead of the host's. */
function libraryEnv(root = DIR): NodeJS.ProcessEnv {
  const dirs = ['usr/lib/x86_64-linux-gnu', 'lib/x86_64-linux-gnu'].map((d) => path.join(root, d));
  return { ...process.env, LD_LIBRARY_PATH: [...dirs, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':') };
}

/** The shared libraries the binary unpacked in `root` needs and the loader cannot find. */
function missingLibraries(root: string): string[] {
  const out = sh('ldd', [binIn(root)], undefined, libraryEnv(root));
  return out.split('\n').filter((l) => l.includes('not found')).map((l) => l.trim().split(/\s+/)[0]);
}

/** Downloads `packages` into `tmp` (`apt-get download`, as any user), unpacks each into `tmp/root`; returns their Depends fields. */
function fetchDebs(tmp: string, packages: string[]): string[] {
  try {
    sh('apt-get', ['download', ...packages], tmp);
  } catch (first) {
    // A fresh image may have no package lists yet: as root, fetch them once and try again.
    if (process.getuid?.() !== 0) throw new Error(`memcached for the tests: \`apt-get download ${packages.join(' ')}\` failed (the package lists may need \`apt-get update\`, as root): ${said(first)}`);
    try {
      sh('apt-get', ['update', '-qq']);
      sh('apt-get', ['download', ...packages], tmp);
    } catch (err) {
      throw new Error(`memcached for the tests: \`apt-get download ${packages.join(' ')}\` failed, also after \`apt-get update\`: ${said(first)} / ${said(err)}`);
    }
  }
  const depends: string[] = [];
  for (const deb of fs.readdirSync(tmp).filter((f) => f.endsWith('.deb'))) {
    depends.push(sh('dpkg-deb', ['-f', path.join(tmp, deb), 'Depends']).trim());
    sh('dpkg-deb', ['-x', path.join(tmp, deb), path.join(tmp, 'root')]);
    fs.rmSync(path.join(tmp, deb));
  }
  return depends;
}

/** The cached binary, downloaded and unpacked on first use; throws saying what failed. */
export function memcachedBinary(): string {
  if (fs.existsSync(BIN)) return BIN;
  fs.mkdirSync(CACHE, { recursive: true });
  // Unpacked aside and renamed into place when it runs, so that a killed or concurrent first use
  // never leaves (or uses) a half-unpacked tree.
  const tmp = fs.mkdtempSync(path.join(CACHE, '.debs-'));
  const root = path.join(tmp, 'root');
  try {
    const t0 = Date.now();
    const [depends] = fetchDebs(tmp, ['memcached']);
    if (missingLibraries(root).length) {
      // Its library dependencies, not libc6 (the loader's own) nor the tools its scripts use.
      const libs = depends.split(',').map((d) => d.trim().split(/[\s:]/)[0]).filter((p) => p.startsWith('lib') && p !== 'libc6');
      fetchDebs(tmp, libs);
    }
    const still = missingLibraries(root);
    if (still.length) throw new Error(`memcached for the tests: ${binIn(root)} still lacks ${still.join(', ')} after unpacking its dependencies`);
    fs.writeFileSync(path.join(root, 'fetched.txt'), `${sh(binIn(root), ['-V'], undefined, libraryEnv(root)).trim()}, fetched in ${Date.now() - t0} ms\n`);
    // Another process may have finished first: its copy is as good.
    if (!fs.existsSync(BIN)) {
      fs.rmSync(DIR, { recursive: true, force: true });
      fs.renameSync(root, DIR);
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return BIN;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer().once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    const done = (ok: boolean) => (s.destroy(), resolve(ok));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

export interface Memcached {
  port: number;
  pid: number;
  /** Stops this server (by its pid) and waits for it to exit. */
  stop(): Promise<void>;
}

/** A memcached on 127.0.0.1 at a free port, accepting connections when this resolves. */
export async function startMemcached(): Promise<Memcached> {
  const bin = memcachedBinary();
  const port = await freePort();
  // memcached refuses to run as root unless told which user to be; the tests run as root.
  const user = process.getuid?.() === 0 ? ['-u', 'root'] : [];
  const child: ChildProcess = spawn(bin, ['-l', '127.0.0.1', '-p', String(port), '-U', '0', '-m', '16', ...user], { env: libraryEnv(), stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let gone = false;
  void exited.then(() => (gone = true));
  const t0 = Date.now();
  while (!(await accepts(port))) {
    if (gone) throw new Error(`memcached (${bin}) exited before accepting on 127.0.0.1:${port}: ${stderr.trim()}`);
    if (Date.now() - t0 > DEADLINE_MS) {
      process.kill(child.pid!, 'SIGKILL');
      throw new Error(`memcached (${bin}) did not accept on 127.0.0.1:${port} within ${DEADLINE_MS} ms: ${stderr.trim()}`);
    }
    await sleep(25);
  }
  const pid = child.pid!;
  return {
    port,
    pid,
    async stop() {
      if (!gone) process.kill(pid, 'SIGTERM');
      await exited;
    },
  };
}
