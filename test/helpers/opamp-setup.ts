// What the OpAMP end-to-end files share: a real OTLP receiver (gRPC), a temp directory for cache
// files, the fixture app (cjs-app) started under the preload against an OpAMP server, and spec
// OpAMP servers made per test. After each test its apps are killed and its servers stopped, so
// every request a server counts comes from its own test's app. Call once, at a file's top level:
// it registers the hooks.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { OtlpReceiver, type ReceivedSpan } from '../../scripts/otlp-receiver';
import { SpecOpampServer } from './opamp-server';
import { start, type Running } from './processes';
import { stageForOtherUsers, type Stage } from './stage';

export const HEARTBEAT = 1000;

export interface OpampSetup {
  /** Started before the file's first test, stopped after its last. */
  receiver: OtlpReceiver;
  /** The file's temp directory (made before its first test). */
  tmp(): string;
  /**
   * The app, exporting to the receiver (spans every 100 ms), polling `endpoint` every HEARTBEAT ms,
   * caching in tmp()/<service>.json; `env` adds to that or (undefined) removes from it. As
   * another user (`uid` not root) it runs from a staged copy any user can read (test/helpers/stage.ts).
   */
  startApp(service: string, endpoint: string, env?: Record<string, string | undefined>, uid?: number): Running;
  /** Kills the apps started so far (done after each test anyway). */
  killApps(): Promise<void>;
  newServer(): Promise<SpecOpampServer>;
  /** The SERVER spans the receiver holds from this service. */
  serverSpans(service: string): ReceivedSpan[];
}

export function opampSetup(tmpPrefix: string, tmpMode?: number): OpampSetup {
  const receiver = new OtlpReceiver('grpc');
  const running: Running[] = [];
  const servers: SpecOpampServer[] = [];
  let tmp = '';
  let stage: Stage | undefined;

  beforeAll(async () => {
    await receiver.start();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), tmpPrefix));
    if (tmpMode !== undefined) fs.chmodSync(tmp, tmpMode);
  });
  afterAll(async () => {
    await receiver.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
    stage?.remove();
  });
  const killApps = async () => {
    for (const app of running.splice(0)) {
      app.child.kill('SIGKILL');
      await app.exited;
    }
  };
  afterEach(async () => {
    await killApps();
    for (const server of servers.splice(0)) await server.stop();
  });

  return {
    receiver,
    tmp: () => tmp,
    startApp(service, endpoint, env = {}, uid) {
      if (uid) stage ??= stageForOtherUsers();
      const app = start(['cjs-app/app.js'], {
        cwd: uid ? stage!.fixtures : undefined,
        uid,
        gid: uid,
        env: {
          NODE_OPTIONS: '--require otel-preload/register',
          OTEL_SERVICE_NAME: service,
          OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
          OTEL_BSP_SCHEDULE_DELAY: '100',
          OTEL_NODE_OPAMP_ENDPOINT: endpoint,
          OTEL_NODE_OPAMP_HEARTBEAT_INTERVAL: String(HEARTBEAT),
          OTEL_NODE_OPAMP_CACHE_FILE: path.join(tmp, `${service}.json`),
          ...env,
        },
      });
      running.push(app);
      return app;
    },
    killApps,
    async newServer() {
      const server = await new SpecOpampServer().start();
      servers.push(server);
      return server;
    },
    serverSpans: (service) => receiver.spans.filter((s) => s.resource['service.name'] === service && s.kind === 'SPAN_KIND_SERVER'),
  };
}
