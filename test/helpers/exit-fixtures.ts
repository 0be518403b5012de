// What the exit-path tests need besides a receiver: the real signal-exit packages (v3 and v4,
// installed once into a cache that CI keeps between runs) and a collector that never answers.

import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';

const SIGNAL_EXIT_VERSIONS = { 'signal-exit-v3': 'npm:signal-exit@3.0.7', 'signal-exit-v4': 'npm:signal-exit@4.1.0' };

/** A folder whose node_modules holds signal-exit 3.0.7 and 4.1.0 (as signal-exit-v3 / -v4). */
export function signalExitDir(): string {
  const cache = process.env.OTEL_PRELOAD_EXIT_CACHE ?? path.join(os.homedir(), '.cache', 'otel-preload-exit');
  const dir = path.join(cache, 'signal-exit');
  const ready = Object.keys(SIGNAL_EXIT_VERSIONS).every((name) => fs.existsSync(path.join(dir, 'node_modules', name, 'package.json')));
  if (ready) return dir;
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ private: true, dependencies: SIGNAL_EXIT_VERSIONS }, null, 2));
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--silent'], { cwd: dir, stdio: 'ignore' });
  return dir;
}

/** A collector that accepts connections and never says a word (no HTTP/2 SETTINGS, no HTTP answer). */
export async function startBlackHole(): Promise<{ endpoint: string; close(): void }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    socket.resume();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close() {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

/** A loopback port where nothing listens (bound, then closed). */
export async function closedPort(): Promise<string> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}
