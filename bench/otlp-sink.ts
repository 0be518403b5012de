// A real OTLP/gRPC endpoint for load runs that does as little as a receiver can: it accepts the
// three Export RPCs, counts requests and bytes, and answers with an empty (valid) response
// without decoding, so that the receiver does not compete with the app for the two cores.

import * as grpc from '@grpc/grpc-js';

const SERVICES = {
  traces: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
  metrics: '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export',
  logs: '/opentelemetry.proto.collector.logs.v1.LogsService/Export',
} as const;

export class OtlpSink {
  readonly received = { traces: 0, metrics: 0, logs: 0, bytes: 0 };
  private server = new grpc.Server();
  port = 0;

  async start(): Promise<this> {
    const passthrough = (b: Buffer) => b;
    const definition: Record<string, grpc.MethodDefinition<Buffer, Buffer>> = {};
    const handlers: grpc.UntypedServiceImplementation = {};
    for (const [signal, path] of Object.entries(SERVICES)) {
      definition[signal] = { path, requestStream: false, responseStream: false, requestSerialize: passthrough, requestDeserialize: passthrough, responseSerialize: passthrough, responseDeserialize: passthrough };
      handlers[signal] = (call: grpc.ServerUnaryCall<Buffer, Buffer>, done: grpc.sendUnaryData<Buffer>) => {
        this.received[signal as keyof typeof SERVICES]++;
        this.received.bytes += call.request.length;
        done(null, Buffer.alloc(0));
      };
    }
    this.server.addService(definition as grpc.ServiceDefinition, handlers);
    this.port = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port))),
    );
    return this;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.tryShutdown(() => resolve()));
  }
}
