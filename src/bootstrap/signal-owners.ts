// Who will end the process when a signal arrives? If the application (or a library of it) has a
// handler of its own, that handler decides; otherwise the signal is ours to re-raise once the
// telemetry is flushed, so that the process dies by it exactly as it would have without us.
//
// `signal-exit` (v3 and v4; many servers and CLIs load it) is not such a handler: its listener
// re-raises the signal only when every listener on that signal is one of signal-exit's own —
// `listeners.length === count`, with count kept on `process.__signal_exit_emitter__` (v3) and on
// `globalThis[Symbol.for('signal-exit emitter')]` (v4, which adds v3's). Our listener breaks that
// equality, and a naive "someone else listens, let them exit" on our side would leave the process
// running forever. So signal-exit's listeners are discounted here; once we have flushed and
// removed our listener, the equality holds again and signal-exit runs its callbacks and re-raises.

type Listener = (...args: unknown[]) => void;

export interface SignalProcess {
  listeners(signal: NodeJS.Signals): Function[];
}

const V4_EMITTER = Symbol.for('signal-exit emitter');

function countOf(emitter: unknown): number {
  const count = (emitter as { count?: unknown } | undefined)?.count;
  return typeof count === 'number' && count > 0 ? count : 0;
}

/** Listeners that signal-exit copies (of any version) have on each of their signals. */
export function signalExitListeners(proc: object = process, global: object = globalThis): number {
  const v3 = countOf((proc as { __signal_exit_emitter__?: unknown }).__signal_exit_emitter__);
  const v4 = countOf((global as Record<symbol, unknown>)[V4_EMITTER]);
  return v3 + v4;
}

/** True when a listener other than ours and signal-exit's will handle `signal`. */
export function appHandles(signal: NodeJS.Signals, ours: Listener, proc: SignalProcess = process, global: object = globalThis): boolean {
  const others = proc.listeners(signal).filter((l) => l !== ours).length;
  return others > signalExitListeners(proc, global);
}
