// `npm run demo`: starts a local OTLP receiver and a fixture app under the preload, drives a few
// requests, and prints what arrived — each trace as a tree of spans, then metric names and logs.

import * as path from 'path';
import { repoRoot } from './repo-root';
import { spawn } from 'child_process';
import * as net from 'net';
import { OtlpReceiver, type ReceivedSpan } from './otlp-receiver';

const REPO = repoRoot();

async function main(): Promise<void> {
  const receiver = await new OtlpReceiver('grpc').start();
  console.log(`OTLP/gRPC receiver listening at ${receiver.endpoint}`);
  const app = spawn(process.execPath, [path.join(REPO, 'fixtures/cjs-app/app.js')], {
    env: { ...process.env, NODE_OPTIONS: `--require ${path.join(REPO, 'register.cjs')}`, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_SERVICE_NAME: 'demo-app' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    app.stdout!.on('data', (d) => {
      const m = String(d).match(/listening (\d+)/);
      if (m) resolve(Number(m[1]));
    });
    app.on('exit', () => reject(new Error('the demo app exited before listening')));
  });
  console.log(`demo app (fixtures/cjs-app) started under --require otel-preload/register on port ${port}`);
  const paths = ['/users/1', '/users/2', '/no-such-route'];
  if (await reachable(5432)) paths.push('/db');
  else console.log('  (PostgreSQL is not reachable on 127.0.0.1:5432: no database call in this demo)');
  for (const p of [...paths, '/shutdown']) {
    const res = await fetch(`http://127.0.0.1:${port}${p}`);
    console.log(`  GET ${p} → ${res.status}`);
    await res.arrayBuffer();
  }
  await new Promise((resolve) => app.on('exit', resolve));
  await receiver.waitFor((r) => r.spans.length > 0 && r.metrics.length > 0 && r.logs.length > 0, 10_000).catch(() => undefined);

  console.log('\nTraces received:');
  const byTrace = new Map<string, ReceivedSpan[]>();
  for (const s of receiver.spans) byTrace.set(s.traceId, [...(byTrace.get(s.traceId) ?? []), s]);
  for (const [traceId, spans] of byTrace) {
    console.log(`  trace ${traceId}`);
    const ids = new Set(spans.map((s) => s.spanId));
    const print = (parent: string | undefined, depth: number) => {
      for (const s of spans.filter((x) => (parent ? x.parentSpanId === parent : !x.parentSpanId || !ids.has(x.parentSpanId)))) {
        const ms = Number(BigInt(s.endTimeUnixNano) - BigInt(s.startTimeUnixNano)) / 1e6;
        const kind = s.kind.replace('SPAN_KIND_', '');
        console.log(`  ${'  '.repeat(depth)}└ ${s.name} [${kind}] ${ms.toFixed(2)} ms`);
        print(s.spanId, depth + 1);
      }
    };
    print(undefined, 1);
  }
  console.log('\nMetrics received:');
  for (const name of new Set(receiver.metrics.map((m) => m.name))) console.log(`  ${name}`);
  console.log('\nLog records received:');
  for (const l of receiver.logs) console.log(`  ${JSON.stringify(l.body)} trace_id=${l.traceId} span_id=${l.spanId}`);
  await receiver.stop();
}

function reachable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.setTimeout(500, () => (socket.destroy(), resolve(false)));
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
