// Name resolution for our own connections (collector, OpAMP server), which must never hold the
// host: Node's default lookup is getaddrinfo on the libuv thread pool, where a lookup that hangs
// cannot be cancelled, keeps the process alive, holds even process.exit() (libuv joins its
// threads at exit) and takes a slot from the app's own dns.lookup and fs calls. A pending c-ares
// query (dns.Resolver) uses no thread but keeps the event loop alive until it times out. So we ask
// DNS ourselves, as the C library would (/etc/hosts, then resolv.conf's servers, search list and
// ndots; A and AAAA over UDP, TCP when truncated), on unref'd sockets and timers: no thread-pool
// slot at all, bounded by LOOKUP_BOUND_MS whatever resolv.conf says, one query per host name at a
// time, answers cached for their TTL. Measurements: docs/decisions.md, "Name resolution of our own".

import * as dgram from 'dgram';
import * as dns from 'dns';
import * as net from 'net';
import { decodeAnswer, encodeQuery, TYPE_A, TYPE_AAAA, type Answer } from './dns-message';
import { hostsAddresses, readResolverConfig, type ResolverConfig } from './resolver-config';

/** A lookup ends within this, answered or not. */
export const LOOKUP_BOUND_MS = 5000;
/** A failed lookup is answered from the cache this long (the next export fails at once). */
const NEGATIVE_TTL_MS = 5000;
/** Answers are kept at most this long, whatever their TTL (a moved collector is found again). */
const MAX_TTL_MS = 300_000;
/** Once the A answer is in, the AAAA answer gets this much longer (some servers never answer it). */
const AAAA_GRACE_MS = 250;

export interface ResolverFiles {
  resolvConf?: string;
  hosts?: string;
  boundMs?: number;
}

type Resolved = { addresses: string[]; expiresAt: number } | { error: NodeJS.ErrnoException; expiresAt: number };

export class BoundedResolver {
  private readonly cache = new Map<string, Resolved>();
  private readonly inFlight = new Map<string, Promise<string[]>>();
  private fallbackChain: Promise<unknown> = Promise.resolve();

  constructor(private readonly files: ResolverFiles = {}) {}

  /** A `lookup` for net.connect, http.request, http2.connect and tls.connect options. */
  readonly lookup = (hostname: string, options: dns.LookupOptions | number | ((...args: never[]) => void), callback?: (...args: never[]) => void): void => {
    const cb = (typeof options === 'function' ? options : callback) as (err: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void;
    const opts: dns.LookupOptions = typeof options === 'object' ? options : typeof options === 'number' ? { family: options } : {};
    const wanted = opts.family === 4 || (opts.family as unknown) === 'IPv4' ? 4 : opts.family === 6 || (opts.family as unknown) === 'IPv6' ? 6 : 0;
    this.resolve(hostname).then(
      (all) => {
        const list = all.map((address) => ({ address, family: net.isIP(address) })).filter((a) => wanted === 0 || a.family === wanted);
        if (list.length === 0) return cb(lookupError(hostname, 'ENOTFOUND', `no ${wanted ? `IPv${wanted} ` : ''}address for ${hostname}`), opts.all ? [] : '');
        if (opts.all) cb(null, list);
        else cb(null, list[0].address, list[0].family);
      },
      (err: NodeJS.ErrnoException) => cb(err, opts.all ? [] : ''),
    );
  };

  /** The addresses of `hostname`, IPv4 first; rejects with ENOTFOUND or EAI_AGAIN (no answer in time). */
  resolve(hostname: string): Promise<string[]> {
    const name = hostname.replace(/^\[|\]$/g, '');
    if (net.isIP(name)) return Promise.resolve([name]);
    const key = name.toLowerCase();
    let fromHosts: string[];
    try {
      fromHosts = hostsAddresses(key, this.files.hosts);
    } catch (err) {
      return Promise.reject(lookupError(name, (err as NodeJS.ErrnoException).code ?? 'EMFILE', `DNS lookup of ${name}: /etc/hosts could not be opened (${(err as Error).message})`));
    }
    if (fromHosts.length > 0) return Promise.resolve(fromHosts);
    if (key === 'localhost' || key.endsWith('.localhost')) return Promise.resolve(['127.0.0.1', '::1']);
    const cached = this.cache.get(key);
    if (cached && cached.expiresAt > Date.now()) return 'error' in cached ? Promise.reject(cached.error) : Promise.resolve(cached.addresses);
    let pending = this.inFlight.get(key);
    if (!pending) {
      pending = this.query(key).then(
        ({ addresses, ttl }) => {
          this.cache.set(key, { addresses, expiresAt: Date.now() + Math.min(Math.max(ttl, 1) * 1000, MAX_TTL_MS) });
          return addresses;
        },
        (error: NodeJS.ErrnoException) => {
          // No socket to ask with (no descriptor left) says nothing about the name: not remembered.
          if (!SHORTAGES.has(error.code ?? '')) this.cache.set(key, { error, expiresAt: Date.now() + NEGATIVE_TTL_MS });
          throw error;
        },
      );
      const forget = () => this.inFlight.delete(key);
      pending.then(forget, forget);
      this.inFlight.set(key, pending);
    }
    return pending;
  }

  private async query(name: string): Promise<{ addresses: string[]; ttl: number }> {
    const bound = this.files.boundMs ?? LOOKUP_BOUND_MS;
    const deadline = Date.now() + bound;
    const config = readResolverConfig(this.files.resolvConf);
    if (!config) return this.fallback(name, bound);
    const seen: Seen = {};
    for (const candidate of candidates(name, config)) {
      const [a, aaaa] = [TYPE_A, TYPE_AAAA].map((type) => ask(config, candidate, type, deadline, seen));
      const v4 = await a;
      const v6 = v4?.addresses.length ? await Promise.race([aaaa, delay(AAAA_GRACE_MS)]) : await aaaa;
      const answers = [v4, v6 || undefined].filter((x): x is Answer => x !== undefined);
      const addresses = answers.flatMap((x) => x.addresses);
      if (addresses.length > 0) return { addresses, ttl: Math.min(...answers.filter((x) => x.addresses.length).map((x) => x.ttl)) };
      if (answers.length === 0 && seen.shortage) throw lookupError(name, seen.shortage, `DNS lookup of ${name}: no socket to ask with (${seen.shortage})`);
      if (answers.length === 0 && Date.now() >= deadline) throw lookupError(name, 'EAI_AGAIN', `DNS lookup of ${name}: no answer within ${bound} ms`);
    }
    throw lookupError(name, 'ENOTFOUND', `DNS lookup of ${name}: not found`);
  }

  /** No resolv.conf (not a Unix-like host): the system's lookup, one at a time (one thread-pool slot). */
  private fallback(name: string, bound: number): Promise<{ addresses: string[]; ttl: number }> {
    const run = this.fallbackChain.then(
      () =>
        new Promise<{ addresses: string[]; ttl: number }>((resolve, reject) => {
          const timer = setTimeout(() => reject(lookupError(name, 'EAI_AGAIN', `DNS lookup of ${name}: no answer within ${bound} ms`)), bound);
          timer.unref();
          dns.lookup(name, { all: true }, (err, list) => {
            clearTimeout(timer);
            if (err) reject(err);
            else resolve({ addresses: list.sort((x, y) => x.family - y.family).map((x) => x.address), ttl: 30 });
          });
        }),
    );
    this.fallbackChain = run.catch(() => undefined);
    return run;
  }
}

/** The names to ask, in order, as resolv.conf(5) says: search domains first below ndots dots. */
export function candidates(name: string, config: Pick<ResolverConfig, 'search' | 'ndots'>): string[] {
  if (name.endsWith('.')) return [name.slice(0, -1)];
  const searched = config.search.map((domain) => `${name}.${domain}`);
  const dots = name.split('.').length - 1;
  return dots >= config.ndots ? [name, ...searched] : [...searched, name];
}

/** One type of record for `name`, from each server in turn, `attempts` rounds, until the deadline. */
/** What the queries of one lookup met: a socket that could not be opened for want of a descriptor. */
interface Seen {
  shortage?: string;
}
const SHORTAGES = new Set(['EMFILE', 'ENFILE', 'EAGAIN']);
function note(seen: Seen, err: unknown): void {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code && SHORTAGES.has(code)) seen.shortage = code;
}

async function ask(config: ResolverConfig, name: string, type: number, deadline: number, seen: Seen): Promise<Answer | undefined> {
  let query: Buffer;
  const id = Math.floor(Math.random() * 0x10000);
  try {
    query = encodeQuery(id, name, type);
  } catch {
    return { id, rcode: 3, truncated: false, addresses: [], ttl: 0 };
  }
  for (let attempt = 0; attempt < config.attempts; attempt++) {
    for (const server of config.nameservers) {
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      const ms = Math.min(config.timeoutMs, left);
      let answer = await overUdp(server, query, id, type, ms, seen);
      if (answer?.truncated) answer = await overTcp(server, query, id, type, Math.max(1, deadline - Date.now()), seen);
      // A server that failed (SERVFAIL, REFUSED) may be alone in that: ask the next one.
      if (answer && (answer.rcode === 0 || answer.rcode === 3)) return answer;
    }
  }
  return undefined;
}

function overUdp(server: string, query: Buffer, id: number, type: number, ms: number, seen: Seen): Promise<Answer | undefined> {
  return new Promise((resolve) => {
    let socket: dgram.Socket;
    try {
      socket = dgram.createSocket(net.isIPv6(server) ? 'udp6' : 'udp4');
    } catch (err) {
      note(seen, err);
      return resolve(undefined);
    }
    let done = false;
    const finish = (answer: Answer | undefined) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.close();
      resolve(answer);
    };
    const timer = setTimeout(() => finish(undefined), ms);
    timer.unref();
    socket.on('error', (err) => {
      note(seen, err);
      finish(undefined);
    });
    socket.on('message', (msg, from) => {
      if (from.port !== 53 || from.address !== server) return;
      const answer = decodeAnswer(msg, type);
      if (answer && answer.id === id) finish(answer);
    });
    socket.send(query, 53, server, (err) => {
      if (!err) return;
      note(seen, err);
      finish(undefined);
    });
    socket.unref();
  });
}

function overTcp(server: string, query: Buffer, id: number, type: number, ms: number, seen: Seen): Promise<Answer | undefined> {
  return new Promise((resolve) => {
    let done = false;
    let received = Buffer.alloc(0);
    const finish = (answer: Answer | undefined) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const timer = setTimeout(() => finish(undefined), ms);
    timer.unref();
    const socket = net.connect({ host: server, port: 53 });
    socket.unref();
    socket.on('error', (err) => {
      note(seen, err);
      finish(undefined);
    });
    socket.on('close', () => finish(undefined));
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < 2 || received.length < 2 + received.readUInt16BE(0)) return;
      const answer = decodeAnswer(received.subarray(2, 2 + received.readUInt16BE(0)), type);
      finish(answer && answer.id === id ? answer : undefined);
    });
    const length = Buffer.alloc(2);
    length.writeUInt16BE(query.length);
    socket.end(Buffer.concat([length, query]));
  });
}

function delay(ms: number): Promise<undefined> {
  return new Promise((resolve) => setTimeout(() => resolve(undefined), ms).unref());
}

function lookupError(hostname: string, code: string, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code, hostname, syscall: 'lookup' });
}

/** The one resolver of the process: its cache is shared by every exporter and OpAMP. */
export const ownLookup = new BoundedResolver().lookup;
