// The two DNS messages our lookups need (RFC 1035 §4): a query for one name and type (A or AAAA,
// recursion desired), and the addresses and smallest TTL of its answer. Why we ask DNS ourselves
// instead of through getaddrinfo or c-ares: docs/decisions.md, "Name resolution of our own".

export const TYPE_A = 1;
export const TYPE_AAAA = 28;

export interface Answer {
  id: number;
  /** RCODE: 0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN, ... */
  rcode: number;
  /** TC: the answer did not fit into the UDP datagram; ask again over TCP. */
  truncated: boolean;
  /** The A or AAAA records of the answer section (a CNAME chain's target included). */
  addresses: string[];
  /** The smallest TTL of those records, in seconds. */
  ttl: number;
}

/** A query for `name` (no trailing dot needed). Throws on a name DNS cannot carry. */
export function encodeQuery(id: number, name: string, type: number): Buffer {
  const labels = name.replace(/\.$/, '').split('.');
  const parts: Buffer[] = [];
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(0x0100, 2); // RD
  header.writeUInt16BE(1, 4); // QDCOUNT
  parts.push(header);
  for (const label of labels) {
    const bytes = Buffer.from(label, 'ascii');
    if (bytes.length === 0 || bytes.length > 63) throw new Error(`"${name}" is not a valid host name`);
    parts.push(Buffer.from([bytes.length]), bytes);
  }
  const tail = Buffer.alloc(5);
  tail.writeUInt16BE(type, 1);
  tail.writeUInt16BE(1, 3); // class IN
  parts.push(tail);
  const query = Buffer.concat(parts);
  if (query.length - 16 > 255) throw new Error(`"${name}" is longer than DNS allows`);
  return query;
}

/** Skips a (possibly compressed) name; returns the offset after it. */
function skipName(msg: Buffer, offset: number): number {
  for (;;) {
    if (offset >= msg.length) throw new Error('truncated name');
    const len = msg[offset];
    if ((len & 0xc0) === 0xc0) return offset + 2; // a pointer ends the name
    if (len === 0) return offset + 1;
    offset += 1 + len;
  }
}

/** The answer to a query, or undefined when `msg` is no well-formed DNS response. */
export function decodeAnswer(msg: Buffer, type: number): Answer | undefined {
  try {
    if (msg.length < 12) return undefined;
    const flags = msg.readUInt16BE(2);
    if ((flags & 0x8000) === 0) return undefined; // not a response
    const answer: Answer = { id: msg.readUInt16BE(0), rcode: flags & 0x000f, truncated: (flags & 0x0200) !== 0, addresses: [], ttl: Infinity };
    const qd = msg.readUInt16BE(4);
    const an = msg.readUInt16BE(6);
    let offset = 12;
    for (let i = 0; i < qd; i++) offset = skipName(msg, offset) + 4;
    for (let i = 0; i < an; i++) {
      offset = skipName(msg, offset);
      const rrType = msg.readUInt16BE(offset);
      const ttl = msg.readUInt32BE(offset + 4);
      const length = msg.readUInt16BE(offset + 8);
      const data = offset + 10;
      if (data + length > msg.length) break;
      if (rrType === type && type === TYPE_A && length === 4) answer.addresses.push(`${msg[data]}.${msg[data + 1]}.${msg[data + 2]}.${msg[data + 3]}`);
      if (rrType === type && type === TYPE_AAAA && length === 16) answer.addresses.push(ipv6(msg.subarray(data, data + 16)));
      if (rrType === type) answer.ttl = Math.min(answer.ttl, ttl);
      offset = data + length;
    }
    if (answer.ttl === Infinity) answer.ttl = 0;
    return answer;
  } catch {
    return undefined;
  }
}

function ipv6(bytes: Buffer): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
  // Node's net accepts the uncompressed form; no need to shorten runs of zeros.
  return groups.join(':');
}
