// What may change while the process runs (remote configuration, applied all at once) and what
// the SDK reports back (export health). Created before the SDK, so that a cached remote config
// applies at start-up; each part of the preload listens for the settings it owns.

import type { CapturedHeaders, Config } from '../config';
import type { Signal } from '../config/settings';
import type { LogLevel } from '../log/logger';

/** The complete set of run-time settings: local values with remote ones laid over them. */
export interface RuntimeSettings {
  logLevel: LogLevel;
  exportEnabled: Record<Signal, boolean>;
  /** Remotely disabled instrumentation names; '*' = all. */
  disabledInstrumentations: readonly string[];
  /** Remotely (re-)enabled instrumentation names, even if off locally. */
  enabledInstrumentations: readonly string[];
  /** Frameworks whose internal spans are wanted ('all' = every one). */
  instrumentationDetail: readonly string[];
  /** HTTP headers captured as span attributes, per side and direction. */
  capturedHeaders: Readonly<CapturedHeaders>;
  /** Baggage entries copied onto spans as attributes. */
  baggageSpanAttributes: readonly string[];
  /** Prompts and completions of LLM calls recorded (bounded, redacted). */
  genAiCaptureMessageContent: boolean;
  metricExportIntervalMillis: number;
  heartbeatIntervalMillis: number;
}

export function localSettings(config: Readonly<Config>): RuntimeSettings {
  return {
    logLevel: config.logLevel,
    exportEnabled: { traces: true, metrics: true, logs: true },
    disabledInstrumentations: [],
    enabledInstrumentations: [],
    instrumentationDetail: config.instrumentationDetail,
    capturedHeaders: config.capturedHeaders,
    baggageSpanAttributes: config.baggageSpanAttributes,
    genAiCaptureMessageContent: config.genAiCaptureMessageContent,
    metricExportIntervalMillis: config.metricExportIntervalMillis,
    heartbeatIntervalMillis: config.opamp.heartbeatIntervalMillis,
  };
}

export interface ExportHealth {
  healthy: boolean;
  lastError?: string;
  /** When the status last changed, in ms since the epoch. */
  since: number;
}

export class RuntimeState {
  readonly startedAt = Date.now();
  readonly health: Record<Signal, ExportHealth> = {
    traces: { healthy: true, since: this.startedAt },
    metrics: { healthy: true, since: this.startedAt },
    logs: { healthy: true, since: this.startedAt },
  };
  private settingsListeners: Array<(next: RuntimeSettings, previous: RuntimeSettings) => void> = [];
  private healthListeners: Array<() => void> = [];

  constructor(public settings: Readonly<RuntimeSettings>) {}

  /** Applies a complete new set of settings; listeners see it all at once. */
  update(next: RuntimeSettings): void {
    const previous = this.settings;
    this.settings = Object.freeze(next);
    for (const listener of this.settingsListeners) listener(this.settings, previous);
  }

  onSettingsChange(listener: (next: RuntimeSettings, previous: RuntimeSettings) => void): void {
    this.settingsListeners.push(listener);
  }

  /** Called by the exporters with every export result. */
  reportExport(signal: Signal, ok: boolean, error?: Error): void {
    const h = this.health[signal];
    const lastError = ok ? undefined : `${signal} export failed: ${error?.message ?? 'unknown error'}`;
    if (h.healthy === ok && h.lastError === lastError) return;
    this.health[signal] = { healthy: ok, lastError, since: Date.now() };
    for (const listener of this.healthListeners) listener();
  }

  onHealthChange(listener: () => void): void {
    this.healthListeners.push(listener);
  }
}
