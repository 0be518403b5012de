// A deadline that lets an answer already received win. When the event loop was blocked past a
// deadline (a synchronous 5 s computation against a 3 s export timeout), Node runs the expired
// timer in the loop's timers phase, before the poll phase reads the sockets, so the timer fired
// first and an export the collector had already answered — its answer waiting in the socket
// buffer — was counted as lost (79–106 spans in issue 26, every one of which had arrived). The
// verdict is therefore given in the check phase (setImmediate), after one poll phase: whatever
// was already readable settles first, and the deadline's callback then finds it settled.

/** Like setTimeout(onExpiry, ms), unref'd; onExpiry runs after the I/O pending at expiry. */
export function deadlineAfterIo(onExpiry: () => void, ms: number): NodeJS.Timeout {
  const timer = setTimeout(() => setImmediate(onExpiry), ms);
  timer.unref();
  return timer;
}
