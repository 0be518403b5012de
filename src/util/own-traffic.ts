// The preload's own network traffic — OTLP exports, OpAMP, ECS metadata, the doctor's probes —
// is never the app's telemetry (issues #25, #26): no CLIENT span, no http.client.request.duration
// point, and, when the endpoint is the app's own server, no SERVER span or metric either (else
// every export would be traced and exported, forever).
//
// Two marks, because a request can be recognised on either side:
// - the client side: our requests carry OWN_REQUEST in their options, and run under a context
//   with tracing suppressed; the http instrumentation (instrumentations/http-server.ts) leaves a
//   request with either mark to Node untouched.
// - the server side: the app's server sees another socket, so the local address and port of every
//   socket we connect are remembered while it is open; a request whose peer is one of them came
//   from this very process.

import type { ClientRequest } from 'http';
import type { Socket } from 'net';

export const OWN_REQUEST = Symbol.for('otel-preload.own-request');

const ownPeers = new Set<string>();
const tracked = new WeakSet<Socket>();

const key = (address: string | undefined, port: number | undefined) => `${(address ?? '').replace(/^::ffff:/, '')}:${port}`;

/** Request options marked as ours (the instrumentation then passes them through untouched). */
export function ownOptions<T extends object>(options: T): T {
  (options as Record<symbol, unknown>)[OWN_REQUEST] = true;
  return options;
}

export function isOwnOptions(options: unknown): boolean {
  return typeof options === 'object' && options !== null && (options as Record<symbol, unknown>)[OWN_REQUEST] === true;
}

/** Remembers the local end of the request's socket while it is open (keep-alive sockets once). */
export function trackOwnRequest(request: ClientRequest): ClientRequest {
  request.once('socket', (socket: Socket) => {
    if (tracked.has(socket)) return;
    tracked.add(socket);
    const remember = () => {
      const peer = key(socket.localAddress, socket.localPort);
      if (socket.localPort === undefined) return;
      ownPeers.add(peer);
      socket.once('close', () => ownPeers.delete(peer));
    };
    if (socket.connecting) socket.once('connect', remember);
    else remember();
  });
  return request;
}

/** Did this server-side socket's peer connect from one of our own sockets (this process)? */
export function isOwnPeer(socket: Socket | undefined): boolean {
  return ownPeers.size > 0 && socket !== undefined && ownPeers.has(key(socket.remoteAddress, socket.remotePort));
}
