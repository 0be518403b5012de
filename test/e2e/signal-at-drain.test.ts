// A signal that arrives as the event loop empties, while the collector never answers: the exit's
// bounded flush ran out and 'beforeExit' used to end the process with code 0 before the signal was
// raised again — a swallowed SIGTERM. The process must die by the same signal as under plain node.

import * as net from 'net';
import * as path from 'path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, run } from '../helpers/processes';

const REGISTER = path.join(FIXTURES, '..', 'register.cjs');
// Serves one request to itself, closes its server, then signals itself 300 ms later: the timer is
// the last handle, so the signal is handled with nothing else keeping the loop alive.
const app = (signal: string) =>
  `const h=require('http');const s=h.createServer((q,r)=>r.end('ok')).listen(0,'127.0.0.1',()=>h.get('http://127.0.0.1:'+s.address().port,r=>{r.resume();r.on('end',()=>{s.close();setTimeout(()=>process.kill(process.pid,'${signal}'),300)})}))`;

let blackHole: net.Server;
let blackHolePort: number;
const sockets = new Set<net.Socket>();

beforeAll(async () => {
  // Accepts connections and reads, never answers.
  blackHole = net.createServer((s) => {
    sockets.add(s);
    s.on('data', () => undefined);
    s.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', resolve));
  blackHolePort = (blackHole.address() as net.AddressInfo).port;
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((resolve) => blackHole.close(resolve));
});

describe.each(['grpc', 'http/protobuf'])('collector that never answers, %s', (protocol) => {
  it.each(['SIGTERM', 'SIGINT'])('%s raised as the loop empties: killed by that signal, as plain node', async (signal) => {
    const plain = await run(['-e', app(signal)], { env: {} });
    expect(plain.signal).toBe(signal);
    const preloaded = await run(['-e', app(signal)], { env: { NODE_OPTIONS: `--require ${REGISTER}`, OTEL_EXPORTER_OTLP_PROTOCOL: protocol, OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${blackHolePort}` } });
    expect({ code: preloaded.code, signal: preloaded.signal, stdout: preloaded.stdout }).toEqual({ code: plain.code, signal: plain.signal, stdout: plain.stdout });
  });
});
