// OpenTelemetry's require/import hooks call an instrumentation's patch functions without a
// try/catch, so a patch that throws would surface in the app's own require(). Wrap each one:
// on error the module is returned unpatched and one warning names what failed.

import type { Instrumentation } from '@opentelemetry/instrumentation';
import type { Logger } from '../log/logger';

type Patchable = { name: string; patch?: (exports: unknown, version?: string) => unknown };
type Definition = Patchable & { files?: Patchable[] };

export function containPatchErrors(name: string, instrumentation: Instrumentation, log: Logger): void {
  // The hooks call the definitions held in the instance's `_modules` (getModuleDefinitions() would
  // build new ones); test/e2e/never-harm.test.ts fails if an upgrade renames it.
  const definitions = (instrumentation as unknown as { _modules?: Definition[] })._modules ?? [];
  for (const def of definitions) {
    wrap(def, name, log);
    for (const file of def.files ?? []) wrap(file, name, log);
  }
}

function wrap(target: Patchable, instrumentation: string, log: Logger): void {
  const patch = target.patch;
  if (typeof patch !== 'function') return;
  target.patch = function containedPatch(this: unknown, exports: unknown, version?: string) {
    try {
      return patch.call(this, exports, version);
    } catch (err) {
      log.warnOnce(`patch:${instrumentation}:${target.name}`, `instrumentation ${instrumentation} failed to patch ${target.name} (${(err as Error)?.message ?? err}); it runs uninstrumented.`);
      return exports;
    }
  };
}
