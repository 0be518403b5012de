// Preloaded (--require) into an Express app to see what upstream's own instrumentations say the
// route is: @opentelemetry/instrumentation-http and -express on a plain SDK, each ended SERVER
// span printed to stderr as one `upstream-span {json}` line. The reference the route tests
// compare otel-preload's SERVER spans with.
const api = require('@opentelemetry/api');
const { TracerProvider, SimpleSpanProcessor } = require('@opentelemetry/sdk-trace');
const { AsyncLocalStorageContextManager } = require('@opentelemetry/context-async-hooks');
const { registerInstrumentations } = require('@opentelemetry/instrumentation');
const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http');
const { ExpressInstrumentation } = require('@opentelemetry/instrumentation-express');

const exporter = {
  export(spans, done) {
    for (const s of spans) {
      const line = { name: s.name, kind: s.kind, scope: s.instrumentationScope.name, path: s.attributes['url.path'], route: s.attributes['http.route'], status: s.attributes['http.response.status_code'] };
      process.stderr.write(`upstream-span ${JSON.stringify(line)}\n`);
    }
    done({ code: 0 });
  },
  shutdown: () => Promise.resolve(),
};
api.context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
api.trace.setGlobalTracerProvider(provider);
registerInstrumentations({ instrumentations: [new HttpInstrumentation(), new ExpressInstrumentation()] });
