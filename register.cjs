// Loaded by `node --require otel-preload/register` (and by the OpenTelemetry Injector, by absolute path).
// The Injector puts this file into every Node.js on a host, vendor tools' old binaries included, so
// it is written in ES5 (checked by test/e2e/exit-old-node.test.ts) and answers the version question
// itself: on a Node.js below the supported range it prints one line and loads nothing else.
'use strict';

(function () {
  var parts = String(process.versions.node).split('.');
  var major = parseInt(parts[0], 10);
  var minor = parseInt(parts[1], 10);
  // Supported: ^18.19.0 || >=20.6.0 (the same rule as isSupportedNode in src/bootstrap/guards.ts).
  var supported = major === 18 ? minor >= 19 : major === 20 ? minor >= 6 : major > 20;
  if (!supported) {
    var key = typeof Symbol === 'function' ? Symbol.for('otel-preload.state') : '__otelPreloadState';
    // Loaded twice (this flag twice, or with --import): one line in all.
    if (global[key]) return;
    global[key] = { entry: 'require' };
    try {
      process.stderr.write('otel-preload: Node.js ' + process.version + ' is not supported (needs ^18.19.0 || >=20.6.0); telemetry is off for this process.\n');
    } catch (e) {
      // stderr closed: stay silent
    }
    return;
  }
  require('./build/src/bootstrap').start('require', __filename);
})();
