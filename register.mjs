// Loaded by `node --import otel-preload/register`. The bootstrap is CommonJS; both entries share it.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
require('./build/src/bootstrap/index.js').start('import', fileURLToPath(import.meta.url));
