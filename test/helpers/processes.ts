// Runs fixture apps as real child processes, configured only through the environment, as users do.

import { spawn, type ChildProcess } from 'child_process';
import * as path from 'path';
import { DEADLINE_MS } from './wait';

export const REPO = path.resolve(__dirname, '../..');
export const FIXTURES = path.join(REPO, 'fixtures');

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Wall time from spawn to exit, in ms. */
  elapsedMs: number;
  /**
   * Wall time from the last stdout output to exit, in ms (from spawn if nothing was printed): the
   * time a job that prints when done spends exiting, which a busy machine's slower start-up does
   * not inflate.
   */
  exitMs: number;
}

export interface Running {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<Finished>;
  /** Resolves with the first stdout line matching `pattern`. */
  waitForLine(pattern: RegExp, ms?: number): Promise<RegExpMatchArray>;
}

/** An environment with no OTEL_* leaking in from the developer's shell. */
export function cleanEnv(extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('OTEL_') && k !== 'NODE_OPTIONS') env[k] = v;
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) env[k] = v;
  return env;
}

export interface StartOptions {
  cwd?: string;
  env: Record<string, string | undefined>;
  node?: string;
  /** Run as this user and group (the tests run as root; the Injector reaches every user). */
  uid?: number;
  gid?: number;
  /** Written to the child's stdin, which is then closed (else stdin is not connected). */
  input?: string;
}

export function start(args: string[], opts: StartOptions): Running {
  const t0 = Date.now();
  const child = spawn(opts.node ?? process.execPath, args, { cwd: opts.cwd ?? FIXTURES, env: cleanEnv(opts.env), stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], uid: opts.uid, gid: opts.gid });
  if (opts.input !== undefined) child.stdin!.end(opts.input);
  let stdout = '';
  let stderr = '';
  let lastOutput = t0;
  const lineWaiters: Array<() => void> = [];
  child.stdout!.on('data', (d) => {
    stdout += d;
    lastOutput = Date.now();
    for (const w of [...lineWaiters]) w();
  });
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<Finished>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr, elapsedMs: Date.now() - t0, exitMs: Date.now() - lastOutput }));
  });
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    waitForLine(pattern, ms = DEADLINE_MS) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no line ${pattern} within ${ms} ms; stdout=${stdout} stderr=${stderr}`)), ms);
        const check = () => {
          const m = stdout.match(pattern);
          if (!m) return;
          clearTimeout(timer);
          lineWaiters.splice(lineWaiters.indexOf(check), 1);
          resolve(m);
        };
        lineWaiters.push(check);
        exited.then(() => {
          check();
          clearTimeout(timer);
          reject(new Error(`exited before printing ${pattern}; stdout=${stdout} stderr=${stderr}`));
        });
        check();
      });
    },
  };
}

export function run(args: string[], opts: StartOptions): Promise<Finished> {
  return start(args, opts).exited;
}

/** GET with an optional header set; resolves with status and body text. */
export async function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  const http = await import('http');
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers, agent: false }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

/** Node's own ExperimentalWarnings (e.g. fetch on Node 18) are the runtime's, not ours. */
export function withoutNodeWarnings(stderr: string): string {
  return stderr
    .split('\n')
    .filter((l) => !/ExperimentalWarning|--trace-warnings/.test(l))
    .join('\n')
    .trim();
}

/** The app's stderr lines, Node's own warnings left out: what the preload said. */
export function stderrLines(app: Running): string[] {
  return withoutNodeWarnings(app.stderr()).split('\n').filter(Boolean);
}
