// Crash output as plain node's (issue #26): an exception thrown by the app while our wrappers are
// on the stack (the context manager's bound listeners, the http instrumentation's emit patch)
// would print frames from our files that plain node does not — on every uncaught exception,
// unhandled rejection and unhandled 'error' event, and in every `err.stack` the app logs. With
// Error.prepareStackTrace the frames of our own files are left out of every stack (with the Node
// frames our wrappers run through, such as AsyncLocalStorage.run) — also where the top frame is
// ours: Node's "Emitted 'error' event at:" stack starts in our emit patch. At OTEL_LOG_LEVEL=debug
// or more verbose no frame is left out (bootstrap/run.ts), to debug the preload. The formatting is
// left to the prepareStackTrace that was there (Node's own default, with its source-map support);
// an app or tool that installs its own later (source-map-support) gets the call sites unfiltered,
// as it would without us.
//
// Known difference: a stack deeper than Error.stackTraceLimit ends up to as many frames earlier
// as ours took (V8 collects the limit, ours included, before we drop them).

type Prepare = (error: Error, frames: NodeJS.CallSite[]) => unknown;

const INSTALLED = Symbol.for('otel-preload.stack-frames');

export function installFrameFilter(isOurs: (file: string) => boolean): void {
  const E = Error as ErrorConstructor & { [INSTALLED]?: boolean };
  if (E[INSTALLED]) return;
  E[INSTALLED] = true;
  const previous = E.prepareStackTrace as Prepare | undefined;
  const prepare: Prepare = function (error, frames) {
    let kept = frames;
    try {
      kept = withoutOurFrames(frames, isOurs);
    } catch {
      kept = frames;
    }
    return previous ? previous(error, kept) : format(error, kept);
  };
  E.prepareStackTrace = prepare as typeof E.prepareStackTrace;
}

/**
 * Our frames out, and AsyncLocalStorage's frames that ours called (the context manager's own call
 * into Node, also when it runs the app's listener or the original emit directly: that one stays,
 * plain node has it too); a stack of nothing but our frames stays whole.
 */
export function withoutOurFrames(frames: NodeJS.CallSite[], isOurs: (file: string) => boolean): NodeJS.CallSite[] {
  const ours = frames.map((f) => isOurs(f.getFileName() ?? ''));
  if (!ours.includes(true) || ours.every(Boolean)) return frames;
  const drop = ours.slice();
  for (let i = 1; i < frames.length - 1; i++) {
    if (drop[i] || !isContextRun(frames[i])) continue;
    let j = i;
    while (j < frames.length && !ours[j] && isContextRun(frames[j])) j++;
    if (j < frames.length && ours[j]) for (let k = i; k < j; k++) drop[k] = true;
  }
  return frames.filter((_f, i) => !drop[i]);
}

// AsyncLocalStorage.run: node:async_hooks on Node 20, async_context_frame on Node 24.
const isContextRun = (f: NodeJS.CallSite) => /^node:(?:async_hooks$|internal\/async_local_storage\/)/.test(f.getFileName() ?? '');

/** V8's default: the error's header line, then one `    at <call site>` line per frame. */
function format(error: Error, frames: NodeJS.CallSite[]): string {
  let header: string;
  try {
    header = Error.prototype.toString.call(error);
  } catch {
    header = '<error>';
  }
  return frames.length ? `${header}\n    at ${frames.join('\n    at ')}` : header;
}
