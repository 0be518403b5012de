// A real OTLP endpoint for load runs that does as little as a receiver can: gRPC (the three
// Export RPCs) and HTTP (POST /v1/{traces,metrics,logs}, protobuf or JSON), counting requests and
// bytes and answering with an empty, valid response without decoding, so that the receiver does
// not compete with the app for the two cores. dd-trace exports OTLP traces over HTTP/JSON only.

import * as grpc from '@grpc/grpc-js';
import * as http from 'http';

const SERVICES = {
  traces: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
  metrics: '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export',
  logs: '/opentelemetry.proto.collector.logs.v1.LogsService/Export',
} as const;

export class OtlpSink {
  readonly received = { traces: 0, metrics: 0, logs: 0, bytes: 0 };
  private server = new grpc.Server();
  private httpServer = http.createServer((req, res) => {
    let bytes = 0;
    req.on('data', (d: Buffer) => (bytes += d.length));
    req.on('end', () => {
      const signal = (req.url ?? '').split('/').pop() as keyof typeof SERVICES;
      if (signal in this.received) this.received[signal]++;
      this.received.bytes += bytes;
      const json = /json/.test(req.headers['content-type'] ?? '');
      res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' });
      res.end(json ? '{}' : '');
    });
  });
  port = 0;
  httpPort = 0;

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
    await new Promise<void>((resolve) => this.httpServer.listen(0, '127.0.0.1', () => resolve()));
    this.httpPort = (this.httpServer.address() as { port: number }).port;
    return this;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get httpEndpoint(): string {
    return `http://127.0.0.1:${this.httpPort}`;
  }

  stop(): Promise<void> {
    this.httpServer.closeAllConnections?.();
    this.httpServer.close();
    return new Promise((resolve) => this.server.tryShutdown(() => resolve()));
  }
}
