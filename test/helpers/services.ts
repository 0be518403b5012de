// The real services on this machine. A missing service names itself; with CI=true its absence
// fails the run instead of skipping the tests that need it.

import * as net from 'net';

export const SERVICES = {
  postgresql: 5432,
  mariadb: 3306,
  redis: 6379,
  rabbitmq: 5672,
} as const;
export type Service = keyof typeof SERVICES;

function reachable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Resolves to the services that are missing; throws under CI=true when any is. */
export async function missingServices(needed: readonly Service[]): Promise<Service[]> {
  const missing: Service[] = [];
  for (const s of needed) if (!(await reachable(SERVICES[s]))) missing.push(s);
  if (missing.length === 0) return missing;
  const list = missing.map((s) => `${s} (127.0.0.1:${SERVICES[s]})`).join(', ');
  if (process.env.CI === 'true') throw new Error(`required service not reachable: ${list}; CI=true makes this a failure, not a skip`);
  console.warn(`skipping tests that need ${list}: not reachable on this machine`);
  return missing;
}
