// On Node with in-thread ESM hooks (module.registerHooks), a CommonJS entry gets them too
// (lazy-hooks.ts, installImportHook): each way the ES module build of an instrumented package
// enters a CommonJS app is instrumented — a dynamic import() started during the entry's
// synchronous run, one started later, and require(esm).

import * as path from 'path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OtlpReceiver } from '../../scripts/otlp-receiver';
import { supportsSyncHooks } from '../../src/instrumentations/lazy-hooks';
import { REPO, start } from '../helpers/processes';
import { DEADLINE_MS } from '../helpers/wait';

let receiver: OtlpReceiver;
beforeAll(async () => {
  receiver = await new OtlpReceiver('grpc').start();
});
afterAll(() => receiver.stop());

// Older Node has no in-thread hooks: a CommonJS entry gets no ESM hook at all there (README).
describe.skipIf(!supportsSyncHooks())('in-thread ESM hooks for a CommonJS entry (Node with module.registerHooks fixed)', () => {
  it.each(['import-at-once', 'import-later', 'require-esm'])('%s: the ES module build of openai is instrumented, one chat span', async (fixture) => {
    const service = `esm-hook-${fixture}`;
    const app = start([path.join(REPO, 'fixtures/esm-hook', `${fixture}.js`)], {
      env: { NODE_OPTIONS: `--require ${path.join(REPO, 'register.cjs')}`, OTEL_SERVICE_NAME: service, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint },
    });
    const result = await app.exited;
    expect(result.stdout, result.stderr).toBe('done\n');
    const chats = () => receiver.spans.filter((s) => s.resource['service.name'] === service && s.name === 'chat gpt-x');
    await receiver.waitFor(() => chats().length > 0, DEADLINE_MS, `the chat span of ${fixture}`);
    expect(chats().map((s) => [s.kind, Number(s.attributes['gen_ai.usage.input_tokens'])])).toEqual([['SPAN_KIND_CLIENT', 3]]);
  });
});
