// Two SIGTERMs 50–200 ms apart (an orchestrator, or an operator pressing Ctrl-C twice) while the
// exit flush waits for a slow but healthy collector (issue #26, "counts are true"). The second
// signal used to count every export in flight as lost at once, although the collector had it and
// answered a moment later: exported + lost came to 20 for 10 spans created. Exports in flight now
// get a short grace for their answer (shutdown.ts, HURRY_GRACE_MS): every span arrives, none is
// counted lost, and the process still dies by the signal, soon after the second one.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CountingReceiver } from '../helpers/counting-receiver';
import { APP, REQUIRE, ROUND_TRIPS, SLACK_MS } from '../helpers/exit-matrix';
import { start } from '../helpers/processes';
import { DEADLINE_MS } from '../helpers/wait';
import { HURRY_GRACE_MS } from '../../src/bootstrap/shutdown';

const CREATED = 2 * ROUND_TRIPS;
let receiver: CountingReceiver;
beforeAll(async () => {
  receiver = await new CountingReceiver().start();
  receiver.mode = 'slow';
});
afterAll(() => receiver?.stop());

let serial = 0;
describe.each(['grpc', 'http/protobuf'] as const)('over %s', (protocol) => {
  it.each([60, 100, 150].flatMap((slow) => [50, 80, 110, 140, 170, 200].map((gap) => ({ slow, gap }))))('collector answers after $slow ms, second SIGTERM after $gap ms: exported + lost = created, nothing that arrived counted lost', async ({ slow, gap }) => {
    receiver.slowMillis = slow;
    const service = `double-sigterm-${protocol.replace('/', '-')}-${++serial}`;
    const app = start([APP], {
      env: { NODE_OPTIONS: REQUIRE, EXIT_KIND: 'serve', ROUND_TRIPS: String(ROUND_TRIPS), OTEL_SERVICE_NAME: service, OTEL_EXPORTER_OTLP_PROTOCOL: protocol, OTEL_EXPORTER_OTLP_ENDPOINT: protocol === 'grpc' ? receiver.grpcEndpoint : receiver.httpEndpoint, OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' },
    });
    await app.waitForLine(/listening/, DEADLINE_MS);
    app.child.kill('SIGTERM');
    const t0 = Date.now();
    await new Promise<void>((resolve) => setTimeout(resolve, gap)); // the gap under test, not a wait for an outcome
    app.child.kill('SIGTERM');
    const t1 = Date.now();
    const result = await app.exited;
    const tail = Date.now() - t1;
    const where = `slow ${slow}, gap ${Date.now() - t0}: stderr=${result.stderr}`;
    expect(result.signal, where).toBe('SIGTERM');
    expect(tail, where).toBeLessThanOrEqual(HURRY_GRACE_MS + SLACK_MS);
    const lost = Number([...result.stderr.matchAll(/(\d+) spans? \([^)]*?(\d+) in total\)/g)].map((m) => m[2]).at(-1) ?? 0);
    await receiver.waitFor(() => receiver.count('traces', service) + lost >= CREATED, DEADLINE_MS, `${CREATED} spans of ${service} exported or counted`).catch(() => undefined);
    expect({ exported: receiver.count('traces', service), lost }, where).toEqual({ exported: CREATED, lost: 0 });
  });
});
