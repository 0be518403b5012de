// Our own name resolution (src/util/lookup.ts) against real DNS servers on loopback port 53: one
// that answers, one that never answers. Files stand in for /etc/resolv.conf and /etc/hosts.

import { execFile } from 'child_process';
import { promisify } from 'util';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BoundedResolver, candidates } from '../../src/util/lookup';
import { DnsServer } from '../helpers/dns-server';

const asRoot = process.getuid?.() === 0;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'otel-lookup-'));
const file = (name: string, text: string) => {
  fs.writeFileSync(path.join(tmp, name), text);
  return path.join(tmp, name);
};
// Addresses of our own in 127/8: nothing else on the host listens there.
const OK = `127.77.${process.pid % 250}.1`;
const SILENT = `127.77.${process.pid % 250}.2`;
let ok: DnsServer;
let silent: DnsServer;

beforeAll(async () => {
  if (!asRoot) return;
  ok = await new DnsServer(OK, { 'collector.test': '127.0.0.1', 'svc.ns.cluster.local': '127.0.0.2' }).start();
  silent = await new DnsServer(SILENT).start();
});
afterAll(async () => {
  await ok?.stop();
  await silent?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('the names asked, as resolv.conf(5) orders them', () => {
  it('below ndots the search list first; at or above it the name first; a trailing dot alone', () => {
    const config = { search: ['ns.svc.cluster.local', 'svc.cluster.local'], ndots: 5 };
    expect(candidates('otel-collector', config)).toEqual(['otel-collector.ns.svc.cluster.local', 'otel-collector.svc.cluster.local', 'otel-collector']);
    expect(candidates('a.b.c.d.e.f', config)).toEqual(['a.b.c.d.e.f', 'a.b.c.d.e.f.ns.svc.cluster.local', 'a.b.c.d.e.f.svc.cluster.local']);
    expect(candidates('collector.example.', config)).toEqual(['collector.example']);
  });
});

describe.skipIf(!asRoot)('against DNS servers on loopback (port 53 needs root)', () => {
  const hosts = () => file('hosts', '127.0.0.9 from-hosts\n::1 from-hosts\n');

  it('answers from DNS, the search list, /etc/hosts and IP literals; caches for the TTL; not found is ENOTFOUND', async () => {
    const r = new BoundedResolver({ resolvConf: file('resolv-ok', `nameserver ${OK}\nsearch ns.cluster.local\noptions ndots:2\n`), hosts: hosts() });
    expect(await r.resolve('collector.test')).toEqual(['127.0.0.1']);
    expect(await r.resolve('svc')).toEqual(['127.0.0.2']);
    expect(await r.resolve('from-hosts')).toEqual(['127.0.0.9', '::1']);
    expect(await r.resolve('10.1.2.3')).toEqual(['10.1.2.3']);
    await expect(r.resolve('nope.test')).rejects.toMatchObject({ code: 'ENOTFOUND' });
    const before = ok.queries;
    expect(await r.resolve('collector.test')).toEqual(['127.0.0.1']);
    expect(ok.queries).toBe(before); // from the cache (TTL 60 s)
  });

  it('the lookup option of net.connect: one address, or all of them', async () => {
    const r = new BoundedResolver({ resolvConf: file('resolv-ok2', `nameserver ${OK}\n`), hosts: hosts() });
    const one = await new Promise((resolve) => r.lookup('collector.test', {}, (...args: unknown[]) => resolve(args)));
    expect(one).toEqual([null, '127.0.0.1', 4]);
    const all = await new Promise((resolve) => r.lookup('from-hosts', { all: true }, (...args: unknown[]) => resolve(args)));
    expect(all).toEqual([null, [{ address: '127.0.0.9', family: 4 }, { address: '::1', family: 6 }]]);
  });

  it('a server that never answers: EAI_AGAIN within the bound whatever resolv.conf says; one query for all callers of a name; the failure remembered a moment', async () => {
    const r = new BoundedResolver({ resolvConf: file('resolv-silent', `nameserver ${SILENT}\noptions timeout:30 attempts:5\n`), hosts: hosts(), boundMs: 1500 });
    const t0 = Date.now();
    const both = await Promise.allSettled([r.resolve('collector.test'), r.resolve('collector.test')]);
    const took = Date.now() - t0;
    expect(both.map((x) => x.status === 'rejected' && (x.reason as NodeJS.ErrnoException).code)).toEqual(['EAI_AGAIN', 'EAI_AGAIN']);
    expect(took).toBeGreaterThanOrEqual(1400);
    expect(took).toBeLessThan(4000);
    expect(silent.queries).toBe(2); // A and AAAA, once, for both callers
    // The failure is remembered for a moment: the next export does not wait again.
    const t1 = Date.now();
    await expect(r.resolve('collector.test')).rejects.toMatchObject({ code: 'EAI_AGAIN' });
    expect(Date.now() - t1).toBeLessThan(100);
  });

  it('no descriptor left for the socket: the lookup fails naming EMFILE, and is not remembered', async () => {
    // In a child under `ulimit -n 32` with every descriptor taken (the built module, as apps load it).
    const script = `
      const fs = require('fs');
      const { BoundedResolver } = require(${JSON.stringify(path.resolve(__dirname, '../../build/src/util/lookup.js'))});
      const r = new BoundedResolver({ resolvConf: ${JSON.stringify(file('resolv-ok3', `nameserver ${OK}\n`))}, hosts: '/nonexistent' });
      const keep = setInterval(() => undefined, 1000); // our sockets never hold the process
      const held = [];
      for (;;) { try { held.push(fs.openSync('/dev/null', 'r')); } catch { break; } }
      r.resolve('collector.test').catch((e) => e.code).then((during) => {
        for (const fd of held) fs.closeSync(fd);
        return r.resolve('collector.test').then((after) => (console.log(JSON.stringify({ during, after })), clearInterval(keep)));
      });`;
    // Not execFileSync: the DNS server answering it runs in this process.
    const { stdout: out } = await promisify(execFile)('bash', ['-c', 'ulimit -n 32 && exec "$0" -e "$1"', process.execPath, script], { encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual({ during: 'EMFILE', after: ['127.0.0.1'] });
  });
});
