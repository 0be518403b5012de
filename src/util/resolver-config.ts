// What our lookups read from the host, as the C library's resolver does: /etc/hosts, and from
// /etc/resolv.conf the name servers, the search list, ndots, and the timeout and attempts options
// (resolv.conf(5)). Read without ever blocking (util/read-small-file.ts) and small-bounded: both
// files are a few lines. Defaults are the C library's: 127.0.0.1, ndots 1, 5 s, 2 attempts.

import * as net from 'net';
import { readSmallFile } from './read-small-file';

export interface ResolverConfig {
  nameservers: string[];
  search: string[];
  ndots: number;
  timeoutMs: number;
  attempts: number;
}

const MAX_BYTES = 1024 * 1024;

const SHORTAGES = new Set(['EMFILE', 'ENFILE', 'EAGAIN']);

/** The file's text, or undefined when it cannot be used; throws when no descriptor is left to open it (that passes). */
function read(file: string): string | undefined {
  try {
    return readSmallFile(file, MAX_BYTES).toString('utf8');
  } catch (err) {
    if (SHORTAGES.has((err as NodeJS.ErrnoException).code ?? '')) throw err;
    return undefined;
  }
}

/** resolv.conf's settings, or undefined when the file cannot be read (not a Unix-like host); throws EMFILE and the like. */
export function readResolverConfig(file = '/etc/resolv.conf'): ResolverConfig | undefined {
  const text = read(file);
  if (text === undefined) return undefined;
  const config: ResolverConfig = { nameservers: [], search: [], ndots: 1, timeoutMs: 5000, attempts: 2 };
  for (const raw of text.split('\n')) {
    const [key, ...values] = raw.replace(/[#;].*$/, '').trim().split(/\s+/);
    if (key === 'nameserver' && values[0]) {
      const address = values[0].replace(/%.*$/, ''); // a zone index (fe80::1%eth0) is not ours to use
      if (net.isIP(address) && config.nameservers.length < 3) config.nameservers.push(address);
    } else if (key === 'search' || key === 'domain') {
      config.search = values.filter(Boolean).map((d) => d.replace(/\.$/, ''));
    } else if (key === 'options') {
      for (const option of values) {
        const [name, value] = option.split(':');
        const n = Number(value);
        if (name === 'ndots' && Number.isInteger(n) && n >= 0) config.ndots = Math.min(n, 15);
        if (name === 'timeout' && Number.isInteger(n) && n >= 1) config.timeoutMs = Math.min(n, 30) * 1000;
        if (name === 'attempts' && Number.isInteger(n) && n >= 1) config.attempts = Math.min(n, 5);
      }
    }
  }
  if (config.nameservers.length === 0) config.nameservers.push('127.0.0.1');
  return config;
}

/** The addresses /etc/hosts gives `name` (case-insensitive), IPv4 first; throws EMFILE and the like. */
export function hostsAddresses(name: string, file = '/etc/hosts'): string[] {
  const text = read(file);
  if (text === undefined) return [];
  const wanted = name.toLowerCase().replace(/\.$/, '');
  const v4: string[] = [];
  const v6: string[] = [];
  for (const raw of text.split('\n')) {
    const [address, ...names] = raw.replace(/#.*$/, '').trim().split(/\s+/);
    if (!address || !names.some((n) => n.toLowerCase() === wanted)) continue;
    const family = net.isIP(address.replace(/%.*$/, ''));
    if (family === 4 && !v4.includes(address)) v4.push(address);
    if (family === 6 && !v6.includes(address)) v6.push(address);
  }
  return [...v4, ...v6];
}
