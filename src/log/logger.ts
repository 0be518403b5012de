// The preload's only writer: one line per message on stderr, never stdout.
// Lines are rate-limited so a misbehaving collector cannot flood the host's logs.

import { redactText } from '../util/redact';

export const LOG_LEVELS = ['none', 'error', 'warn', 'info', 'debug', 'verbose', 'all'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const rank: Record<LogLevel, number> = { none: 0, error: 1, warn: 2, info: 3, debug: 4, verbose: 5, all: 6 };

// At most this many lines per window, debug and verbose excepted (the operator asked for them).
const LINES_PER_WINDOW = 10;
const WINDOW_MS = 60_000;

export interface Logger {
  level: LogLevel;
  error(msg: string): void;
  warn(msg: string): void;
  info(msg: string): void;
  debug(msg: string): void;
  verbose(msg: string): void;
  /** Logs a warning once per key for the life of the process. */
  warnOnce(key: string, msg: string): void;
}

export function createLogger(level: LogLevel, write: (line: string) => void = writeStderr): Logger {
  let windowStart = 0;
  let linesInWindow = 0;
  let suppressed = 0;
  let lastLine = '';
  const onceKeys = new Set<string>();

  function emit(at: LogLevel, msg: string): void {
    if (rank[at] > rank[logger.level] || logger.level === 'none') return;
    if (rank[at] <= rank.info) {
      // The same failure reported twice in a row (e.g. by a flush and then a shutdown) is one line.
      if (msg === lastLine) return;
      lastLine = msg;
      const now = Date.now();
      if (now - windowStart > WINDOW_MS) {
        if (suppressed > 0) write(`otel-preload warn: ${suppressed} more messages suppressed in the last minute`);
        windowStart = now;
        linesInWindow = 0;
        suppressed = 0;
      }
      if (++linesInWindow > LINES_PER_WINDOW) {
        suppressed++;
        return;
      }
    }
    // Credentials never reach stderr, whatever a message carries (util/redact.ts#redactText).
    write(`otel-preload ${at}: ${oneLine(redactText(msg))}`);
  }

  const logger: Logger = {
    level,
    error: (m) => emit('error', m),
    warn: (m) => emit('warn', m),
    info: (m) => emit('info', m),
    debug: (m) => emit('debug', m),
    verbose: (m) => emit('verbose', m),
    warnOnce(key, m) {
      if (onceKeys.has(key)) return;
      onceKeys.add(key);
      emit('warn', m);
    },
  };
  return logger;
}

/**
 * Every message is one line, whatever a value in it holds (a path or header read from a setting
 * may carry line breaks, control or bidi characters): they are written escaped.
 */
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200b-\u200f\u202a-\u202e\u2066-\u2069]/g;
function oneLine(msg: string): string {
  return msg.replace(UNPRINTABLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function writeStderr(line: string): void {
  try {
    process.stderr.write(line + '\n');
  } catch {
    // stderr closed or broken: nothing sensible left to do, and never throw into the app.
  }
}
