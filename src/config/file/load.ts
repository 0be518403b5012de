// Reads OTEL_CONFIG_FILE into a configuration model with @opentelemetry/configuration (environment
// substitution, file_format check, schema validation), after checks of our own that make each way a
// file can be unusable one clear sentence: missing, unreadable, not a file, too large, not YAML.
// Loaded only when the variable is set: the YAML parser and the schema validator cost ~100 ms of CPU.

import { readFileSync, statSync } from 'fs';
import type { ConfigurationModel } from '@opentelemetry/configuration';
import { parseConfigurationFile } from '../../otel-line/configuration';

/** `substituted`: paths (a.b[0].c) whose text in the file holds a ${…} substitution. */
export type Loaded = { model: ConfigurationModel; fileFormat: string; substituted: string[] } | { error: string };

// A real configuration is a few kB; anything this large is a wrong path, not a config.
const MAX_FILE_BYTES = 1024 * 1024;

export function loadModel(file: string, env: Record<string, string | undefined>): Loaded {
  let text: string;
  try {
    const stat = statSync(file);
    if (!stat.isFile()) return { error: 'is not a regular file' };
    if (stat.size > MAX_FILE_BYTES) return { error: `is ${stat.size} bytes, more than a configuration file can be (${MAX_FILE_BYTES})` };
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { error: 'does not exist' };
    if (code === 'EACCES' || code === 'EPERM') return { error: 'cannot be read (permission denied)' };
    return { error: `cannot be read (${code ?? (err as Error).message})` };
  }

  // The library ignores YAML syntax errors (it takes whatever part of the document parsed), so the
  // syntax is checked first with the same parser it uses.
  const yaml = require('yaml') as typeof import('yaml');
  const doc = yaml.parseDocument(text, { version: '1.2', prettyErrors: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const before = text.slice(0, e.pos[0]).split('\n');
    const where = `line ${before.length}, column ${before[before.length - 1].length + 1}: `;
    return { error: `is not valid YAML: ${where}${e.message.split('\n')[0]}` };
  }
  const top = doc.toJS() as unknown;
  if (top === null || typeof top !== 'object' || Array.isArray(top)) return { error: 'is not a YAML mapping (expected file_format, tracer_provider, …)' };
  const fileFormat = (top as { file_format?: unknown }).file_format;
  const formatProblem = checkFileFormat(fileFormat);
  if (formatProblem) return { error: formatProblem };

  try {
    const model = withEnv(env, file, () => parseConfigurationFile(file));
    return { model, fileFormat: String(fileFormat), substituted: substitutedPaths(top) };
  } catch (err) {
    return { error: explain(file, (err as Error).message ?? String(err)) };
  }
}

/** Where the file (before substitution) uses ${…}: doctor tells values from substitution apart. */
function substitutedPaths(node: unknown, path = '', out: string[] = []): string[] {
  if (typeof node === 'string' && node.includes('${')) out.push(path);
  else if (Array.isArray(node)) node.forEach((v, i) => substitutedPaths(v, `${path}[${i}]`, out));
  else if (node !== null && typeof node === 'object') for (const [k, v] of Object.entries(node)) substitutedPaths(v, path ? `${path}.${k}` : k, out);
  return out;
}

/** Schema 1.x only (the library's own check, with a message that names the path and what is expected). */
function checkFileFormat(value: unknown): string | undefined {
  if (value === undefined) return 'has no file_format (expected file_format: "1.0" or "1.1")';
  if (typeof value !== 'string') return `file_format: ${JSON.stringify(value)} is not a string (write file_format: "1.1", quoted)`;
  if (!/^1\.\d+(-.*)?$/.test(value)) return `file_format: ${JSON.stringify(value)} is not supported (1.0 and 1.1 are)`;
  return undefined;
}

/** The library's messages repeat the file name and may span lines; ours name it once, on one line. */
function explain(file: string, message: string): string {
  const text = message
    .replace(`Invalid OpenTelemetry config file: ${file}: `, 'does not match the configuration schema: ')
    .replace(`${file}: `, '')
    .replace(/\n\s*/g, '; ')
    .replace(/^does not match the configuration schema: ; /, 'does not match the configuration schema: ');
  // JSON pointers (/tracer_provider/processors/0/batch) as the YAML paths people read.
  const readable = text.replace(/(^|\s)\/([\w/.-]+)/g, (_m, pre: string, ptr: string) => `${pre}${ptr.split('/').map((p, i) => (/^\d+$/.test(p) ? `[${p}]` : i ? `.${p}` : p)).join('')}`);
  return readable.startsWith('parse error: ') ? `has an invalid substitution: ${readable.slice('parse error: '.length)}` : readable;
}

/**
 * The library reads OTEL_CONFIG_FILE and the substituted variables from process.env. When a caller
 * passes another environment (doctor, tests), it is process.env for the duration of the parse.
 */
function withEnv<T>(env: Record<string, string | undefined>, file: string, fn: () => T): T {
  const saved = process.env;
  const effective = env === saved ? { ...saved } : { ...env };
  effective.OTEL_CONFIG_FILE = file;
  process.env = effective as NodeJS.ProcessEnv;
  try {
    return fn();
  } finally {
    process.env = saved;
  }
}
