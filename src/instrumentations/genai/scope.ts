// The instrumentation scope of a span, on both SDK lines (2.x: instrumentationLibrary).

type Scoped = { instrumentationScope?: { name?: string }; instrumentationLibrary?: { name?: string } };

export function scopeName(span: object): string {
  const s = span as Scoped;
  return s.instrumentationScope?.name ?? s.instrumentationLibrary?.name ?? '';
}

/** A span the Anthropic SDK made itself (0.134 on) through @opentelemetry/api. */
export function isAnthropicSdkSpan(span: object): boolean {
  return scopeName(span).startsWith('com.anthropic.sdk');
}
