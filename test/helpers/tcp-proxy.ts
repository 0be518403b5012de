// A TCP proxy in front of a test server that can go half-open: the connections it already carries
// stay open but pass no more bytes (a load balancer or NAT that lost its state), while new
// connections pass as usual.

import * as net from 'net';

export class TcpProxy {
  port = 0;
  private readonly server: net.Server;
  private readonly pairs = new Set<{ client: net.Socket; upstream: net.Socket; dead: boolean }>();
  /** Connections accepted so far. */
  connections = 0;

  constructor(private readonly targetPort: number) {
    this.server = net.createServer((client) => {
      this.connections++;
      const upstream = net.connect(this.targetPort, '127.0.0.1');
      const pair = { client, upstream, dead: false };
      this.pairs.add(pair);
      client.on('data', (d) => pair.dead || upstream.write(d));
      upstream.on('data', (d) => pair.dead || client.write(d));
      const end = () => {
        if (pair.dead) return; // a half-open connection never tells the other side
        client.destroy();
        upstream.destroy();
        this.pairs.delete(pair);
      };
      client.on('close', end).on('error', end);
      upstream.on('close', end).on('error', end);
    });
  }

  start(): Promise<this> {
    return new Promise((resolve) => this.server.listen(0, '127.0.0.1', () => ((this.port = (this.server.address() as net.AddressInfo).port), resolve(this))));
  }

  /** From now on the existing connections carry nothing, in either direction, and never close. */
  halfOpen(): void {
    for (const pair of this.pairs) pair.dead = true;
  }

  stop(): Promise<void> {
    for (const { client, upstream } of this.pairs) {
      client.destroy();
      upstream.destroy();
    }
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
