// A DNS server on a loopback address, port 53 (where resolv.conf's servers are asked), over UDP
// and TCP: it answers A queries from a table, or never answers at all (a resolver that hangs, as
// a broken VPN or a dropped firewall rule leaves it). It counts the queries it got.

import * as dgram from 'dgram';
import * as net from 'net';

export class DnsServer {
  queries = 0;
  private udp?: dgram.Socket;
  private tcp?: net.Server;
  private readonly held: net.Socket[] = [];

  /** `answers`: name → IPv4 address; undefined: never answer. */
  constructor(
    readonly address: string,
    private readonly answers?: Record<string, string>,
  ) {}

  async start(): Promise<this> {
    this.udp = dgram.createSocket('udp4');
    this.udp.on('message', (msg, from) => {
      this.queries++;
      const reply = this.reply(msg);
      if (reply) this.udp!.send(reply, from.port, from.address);
    });
    await new Promise<void>((resolve, reject) => {
      this.udp!.once('error', reject);
      this.udp!.bind(53, this.address, () => resolve());
    });
    this.tcp = net.createServer((socket) => {
      this.held.push(socket);
      socket.on('error', () => undefined);
      socket.on('data', (chunk) => {
        this.queries++;
        const reply = this.reply(chunk.subarray(2));
        if (!reply) return;
        const length = Buffer.alloc(2);
        length.writeUInt16BE(reply.length);
        socket.end(Buffer.concat([length, reply]));
      });
    });
    await new Promise<void>((resolve, reject) => {
      this.tcp!.once('error', reject);
      this.tcp!.listen(53, this.address, () => resolve());
    });
    return this;
  }

  async stop(): Promise<void> {
    for (const socket of this.held) socket.destroy();
    await new Promise<void>((resolve) => this.udp?.close(() => resolve()) ?? resolve());
    await new Promise<void>((resolve) => this.tcp?.close(() => resolve()) ?? resolve());
  }

  private reply(query: Buffer): Buffer | undefined {
    if (!this.answers || query.length < 17) return undefined;
    let offset = 12;
    const labels: string[] = [];
    while (query[offset] !== 0 && offset < query.length) {
      labels.push(query.subarray(offset + 1, offset + 1 + query[offset]).toString('ascii'));
      offset += 1 + query[offset];
    }
    const questionEnd = offset + 5;
    const type = query.readUInt16BE(offset + 1);
    const address = this.answers[labels.join('.').toLowerCase()];
    const header = Buffer.from(query.subarray(0, 12));
    header.writeUInt16BE(address ? 0x8180 : 0x8183, 2); // response, RD, RA; NOERROR or NXDOMAIN
    header.writeUInt16BE(1, 4);
    const answer = address && type === 1;
    header.writeUInt16BE(answer ? 1 : 0, 6);
    header.writeUInt16BE(0, 8);
    header.writeUInt16BE(0, 10);
    const parts = [header, query.subarray(12, questionEnd)];
    if (answer) {
      const rr = Buffer.alloc(16);
      rr.writeUInt16BE(0xc00c, 0); // the name of the question
      rr.writeUInt16BE(1, 2);
      rr.writeUInt16BE(1, 4);
      rr.writeUInt32BE(60, 6);
      rr.writeUInt16BE(4, 10);
      address.split('.').forEach((n, i) => (rr[12 + i] = Number(n)));
      parts.push(rr);
    }
    return Buffer.concat(parts);
  }
}
