// The `mariadb` driver (Sequelize's MariaDB dialect). No OpenTelemetry package instruments it
// (opentelemetry-js-contrib has none; the driver publishes no diagnostics channel), so this is our
// own, kept small (docs/decisions.md, "mariadb"). Since 3.5 the package is ES modules, and what
// `require('mariadb')` loads is an esbuild bundle (dist/promise.cjs): no internal file to patch.
// So it wraps the public API instead, the same in every 3.x release and in both module systems:
// the entry points' createConnection/createPool (promise and callback entries), and, on the first
// connection or pool each makes, its prototype's query/execute/batch (pools' getConnection too, so
// their connections know their options). One CLIENT span per call, ended when the promise settles
// or the callback is called. Attributes are the semantic conventions' stable database ones:
// db.system.name=mariadb, db.namespace, db.operation.name, db.query.text (literals replaced by
// `?`; bound values are never recorded), server.address, server.port, and error.type /
// db.response.status_code on failure.

import type { Span, Tracer } from '@opentelemetry/api';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { lineRequire } from '../otel-line/line';
import { sanitizeSql } from './sql-text';

export const MARIADB_RANGE = '>=3.0.0 <4';
/** The callback entry: its own file under each layout (3.0–3.4 CommonJS, 3.5+ bundle / ES module). */
const CALLBACK_FILES = ['mariadb/callback.js', 'mariadb/dist/callback.cjs'];
const STATEMENT_METHODS = ['query', 'execute', 'batch'];

/** The statement's first keyword (SELECT, INSERT, …), upper-cased. */
export function operationOf(sql: string): string | undefined {
  const m = /^\s*(?:\/\*[\s\S]*?\*\/\s*)*([a-z]+)/i.exec(sql);
  return m ? m[1].toUpperCase() : undefined;
}

interface Target {
  host?: string;
  port?: number;
  database?: string;
  socketPath?: string;
}

/** Connection options as given (object or `mariadb://user@host:port/db` string) → what spans carry. */
export function targetOf(opts: unknown): Target {
  if (typeof opts === 'string') {
    try {
      const u = new URL(opts);
      return { host: u.hostname || undefined, port: u.port ? Number(u.port) : 3306, database: u.pathname.replace(/^\//, '') || undefined };
    } catch {
      return {};
    }
  }
  const o = (opts ?? {}) as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' && v ? v : undefined);
  const socketPath = str(o.socketPath);
  return { host: socketPath ? undefined : str(o.host) ?? 'localhost', port: socketPath ? undefined : typeof o.port === 'number' ? o.port : Number(o.port) || 3306, database: str(o.database), socketPath };
}

const TARGET = Symbol.for('otel-preload.mariadb.target');
const WRAPPED = Symbol.for('otel-preload.mariadb.wrapped');

type AnyFn = (...args: unknown[]) => unknown;

/** A plain, writable copy of a module's exports (values read once, as the app would read them). */
function copyExports(exports: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(exports)) out[key] = exports[key];
  if ((exports as { __esModule?: unknown }).__esModule) Object.defineProperty(out, '__esModule', { value: true });
  return out;
}

export function mariadbInstrumentationClass(): new (options: Record<string, unknown>) => Instrumentation {
  const { InstrumentationBase, InstrumentationNodeModuleDefinition, InstrumentationNodeModuleFile } = lineRequire('@opentelemetry/instrumentation');
  const api = lineRequire('@opentelemetry/api') as typeof import('@opentelemetry/api');
  const { DISTRO_VERSION } = require('../version') as { DISTRO_VERSION: string };

  return class MariadbInstrumentation extends InstrumentationBase {
    constructor(config: Record<string, unknown> = {}) {
      super('otel-preload-mariadb', DISTRO_VERSION, config);
    }

    init() {
      const patch = (exports: Record<string, unknown>) => this.patchEntry(exports);
      const unpatch = (exports: Record<string, unknown>) => this.unpatchEntry(exports);
      const files = CALLBACK_FILES.map((f) => new InstrumentationNodeModuleFile(f, [MARIADB_RANGE], patch, unpatch));
      return [new InstrumentationNodeModuleDefinition('mariadb', [MARIADB_RANGE], patch, unpatch, files)];
    }

    private patchEntry(exports: Record<string, unknown>) {
      if (!exports || typeof exports !== 'object') return exports;
      const names = ['createConnection', 'createPool'].filter((n) => typeof exports[n] === 'function' && !(exports[n] as { [WRAPPED]?: unknown })[WRAPPED]);
      // An esbuild bundle (3.5+'s dist/*.cjs) exports through getters that cannot be redefined:
      // the app then gets a copy of the exports with the two functions wrapped.
      const fixed = names.some((n) => {
        const d = Object.getOwnPropertyDescriptor(exports, n);
        return d !== undefined && !d.configurable && !d.writable;
      });
      const target: Record<string, unknown> = fixed ? copyExports(exports) : exports;
      for (const name of names) {
        const wrapped = this.creator(exports[name] as AnyFn);
        (wrapped as unknown as Record<symbol, unknown>)[WRAPPED] = true;
        if (fixed) target[name] = wrapped;
        else this._wrap(target, name, () => wrapped);
      }
      return target;
    }

    private unpatchEntry(exports: Record<string, unknown>) {
      for (const name of ['createConnection', 'createPool']) if (exports && (exports[name] as { __wrapped?: boolean })?.__wrapped) this._unwrap(exports, name);
    }

    /** createConnection/createPool: the object made (or the promise of it) remembers its target and gets traced methods. */
    private creator(original: AnyFn): AnyFn {
      const self = this;
      return function created(this: unknown, ...args: unknown[]) {
        const result = original.apply(this, args);
        const target = targetOf(args[0]);
        try {
          if (result && typeof (result as Promise<unknown>).then === 'function') {
            return (result as Promise<unknown>).then((made) => {
              self.adopt(made, target);
              return made;
            });
          }
          self.adopt(result, target);
        } catch {
          // Never let tracing break a connection.
        }
        return result;
      };
    }

    /** Records the target on a connection or pool and wraps its prototype's methods (once per prototype). */
    private adopt(made: unknown, target: Target): void {
      if (!made || typeof made !== 'object') return;
      (made as Record<symbol, unknown>)[TARGET] = target;
      // 3.0's promise connection binds `query` on each instance.
      const own = made as Record<string, unknown>;
      for (const m of STATEMENT_METHODS) if (Object.prototype.hasOwnProperty.call(own, m) && typeof own[m] === 'function') this._wrap(own, m, (original: AnyFn) => this.statement(original));
      const proto = Object.getPrototypeOf(made) as Record<string | symbol, unknown> | null;
      if (!proto || proto[WRAPPED]) return;
      proto[WRAPPED] = true;
      for (const m of STATEMENT_METHODS) if (typeof proto[m] === 'function') this._wrap(proto, m, (original: AnyFn) => this.statement(original));
      if (typeof proto.getConnection === 'function') this._wrap(proto, 'getConnection', (original: AnyFn) => this.poolGetConnection(original));
    }

    /** A pool's connections are made inside the pool: they take the pool's target. */
    private poolGetConnection(original: AnyFn): AnyFn {
      const self = this;
      return function getConnection(this: Record<symbol, unknown>, ...args: unknown[]) {
        const target = (this?.[TARGET] as Target) ?? {};
        const cb = args[args.length - 1];
        if (typeof cb === 'function') {
          args[args.length - 1] = function (this: unknown, err: unknown, conn: unknown) {
            if (!err) self.adopt(conn, target);
            return (cb as AnyFn).apply(this, arguments as unknown as unknown[]);
          };
          return original.apply(this, args);
        }
        const result = original.apply(this, args);
        if (result && typeof (result as Promise<unknown>).then === 'function') {
          return (result as Promise<unknown>).then((conn) => {
            self.adopt(conn, target);
            return conn;
          });
        }
        return result;
      };
    }

    private statement(original: AnyFn): AnyFn {
      const self = this;
      return function statement(this: Record<symbol, unknown>, ...args: unknown[]) {
        if (!self.isEnabled()) return original.apply(this, args);
        let span: Span | undefined;
        try {
          span = self.startSpan(args[0], (this?.[TARGET] as Target) ?? {});
        } catch {
          span = undefined;
        }
        if (!span) return original.apply(this, args);
        const s = span;
        const cb = args[args.length - 1];
        if (typeof cb === 'function' && args.length > 1) {
          const parent = api.context.active();
          args[args.length - 1] = function (this: unknown, err: unknown) {
            endSpan(s, err);
            return api.context.with(parent, () => (cb as AnyFn).apply(this, arguments as unknown as unknown[]));
          };
          return original.apply(this, args);
        }
        let result: unknown;
        try {
          result = original.apply(this, args);
        } catch (err) {
          endSpan(s, err);
          throw err;
        }
        if (result && typeof (result as Promise<unknown>).then === 'function') {
          (result as Promise<unknown>).then(() => endSpan(s), (err) => endSpan(s, err));
        } else if (result && typeof (result as { once?: unknown }).once === 'function') {
          // Callback API without a callback: the command emits `end` (with the error, if any).
          (result as { once(e: string, l: (err?: unknown) => void): void }).once('end', (err) => endSpan(s, err));
        } else endSpan(s);
        return result;
      };
    }

    private startSpan(sqlArg: unknown, target: Target): Span | undefined {
      const sql = typeof sqlArg === 'string' ? sqlArg : typeof (sqlArg as { sql?: unknown })?.sql === 'string' ? (sqlArg as { sql: string }).sql : undefined;
      if (sql === undefined) return undefined;
      const operation = operationOf(sql);
      const attributes: Record<string, string | number> = { 'db.system.name': 'mariadb', 'db.query.text': sanitizeSql(sql) };
      if (operation) attributes['db.operation.name'] = operation;
      if (target.database) attributes['db.namespace'] = target.database;
      if (target.socketPath) attributes['server.address'] = target.socketPath;
      if (target.host) attributes['server.address'] = target.host;
      if (target.port !== undefined) attributes['server.port'] = target.port;
      // The conventions' name, `{db.operation.name} {target}`, the target being the namespace here.
      const name = [operation, target.database].filter(Boolean).join(' ') || 'mariadb';
      return (this.tracer as Tracer).startSpan(name, { kind: api.SpanKind.CLIENT, attributes });
    }
  } as unknown as new (options: Record<string, unknown>) => Instrumentation;

  function endSpan(span: Span, err?: unknown): void {
    const e = err as { code?: unknown; errno?: unknown; message?: string } | undefined;
    if (e) {
      span.recordException(e as Error);
      span.setStatus({ code: api.SpanStatusCode.ERROR, message: e.message });
      span.setAttribute('error.type', typeof e.code === 'string' ? e.code : 'Error');
      if (typeof e.errno === 'number') span.setAttribute('db.response.status_code', String(e.errno));
    }
    span.end();
  }
}
