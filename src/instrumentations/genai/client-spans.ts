// Which GenAI CLIENT spans a provider instrumentation started, by their parent: LangChain's model
// callbacks (langchain.ts) ask whether the SDK underneath already made the `chat` span for a call,
// so that a call gets one span, never two. The span processor (span-metrics.ts) notes each GenAI
// CLIENT span at start, only while someone asks (`watch()`); bounded.

const MAX_KEYS = 4096;
let watching = false;
const started = new Map<string, number>();

export function watchClientSpans(): void {
  watching = true;
}

export function isWatchingClientSpans(): boolean {
  return watching;
}

/** `parent`: `${traceId}/${parentSpanId}` of the span's parent, or '' for a root span. */
export function noteClientSpan(parent: string): void {
  if (!watching) return;
  started.set(parent, (started.get(parent) ?? 0) + 1);
  if (started.size > MAX_KEYS) started.delete(started.keys().next().value as string);
}

export function clientSpansUnder(parent: string): number {
  return started.get(parent) ?? 0;
}
