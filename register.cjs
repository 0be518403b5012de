// Loaded by `node --require otel-preload/register` (and by the OpenTelemetry Injector, by absolute path).
require('./build/src/bootstrap').start('require', __filename);
