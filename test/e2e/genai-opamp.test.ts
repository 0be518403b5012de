// The content switch over OpAMP: a running app on @google/genai records no prompt text, then the
// server sends `genai_capture_message_content: true`, and the next call's span carries the
// (redacted, bounded) content — without a restart.

import * as path from 'path';
import { expect, it } from 'vitest';
import { get } from '../helpers/processes';
import { RemoteConfigStatuses } from '../helpers/opamp-server';
import { HEARTBEAT, opampSetup } from '../helpers/opamp-setup';
import { genaiApp, startGenaiApp } from '../helpers/genai-apps';
import { startFakeProvider } from '../helpers/fake-genai';
import { DEADLINE_MS } from '../helpers/wait';

const APPLIED = RemoteConfigStatuses.RemoteConfigStatuses_APPLIED;
const { receiver, newServer, tmp } = opampSetup('otel-preload-genai-opamp-');

it('OpAMP: genai_capture_message_content switched on in a running process', async () => {
  const service = 'genai-opamp';
  const provider = await startFakeProvider();
  const opamp = await newServer();
  const app = startGenaiApp(receiver, provider.url, genaiApp('genai-google'), 'app.cjs', service, {
    GENAI_SDK: 'google',
    OTEL_NODE_OPAMP_ENDPOINT: opamp.endpoint,
    OTEL_NODE_OPAMP_HEARTBEAT_INTERVAL: String(HEARTBEAT),
    OTEL_NODE_OPAMP_CACHE_FILE: path.join(tmp(), `${service}.json`),
  });
  try {
    const [, port] = await app.waitForLine(/listening (\d+)/, DEADLINE_MS);
    const calls = () => receiver.spans.filter((s) => s.resource['service.name'] === service && s.name === 'generate_content gemini-fixture').sort((a, b) => (BigInt(a.startTimeUnixNano) < BigInt(b.startTimeUnixNano) ? -1 : 1));
    expect((await get(`http://127.0.0.1:${port}/generate`)).status).toBe(200);
    await receiver.waitFor(() => calls().length === 1, DEADLINE_MS, 'the first GenAI span');
    expect(calls()[0].attributes['gen_ai.input.messages']).toBeUndefined();
    const hash = opamp.setConfig({ 'otel-preload': { genai_capture_message_content: true } });
    await opamp.waitFor((r) => r.some((m) => m.a2s.remoteConfigStatus?.status === APPLIED && Buffer.from(m.a2s.remoteConfigStatus.lastRemoteConfigHash).equals(Buffer.from(hash))), DEADLINE_MS, 'APPLIED');
    expect((await get(`http://127.0.0.1:${port}/generate`)).status).toBe(200);
    await receiver.waitFor(() => calls().length === 2, DEADLINE_MS, 'the second GenAI span');
    expect(calls()[1].attributes['gen_ai.input.messages']).toContain('Say hi');
    expect(calls()[1].attributes['gen_ai.output.messages']).toContain('Hello from Gemini');
  } finally {
    app.child.kill('SIGKILL');
    await app.exited;
    await provider.close();
  }
});
