// The last applied remote config on disk, so that a scale-out while the OpAMP server is down
// starts with the fleet's config instead of defaults. Another local user must not be able to
// plant a config, hang start-up or redirect our writes, so:
// - a cache file is read only if it is a regular file (no FIFO, device or symlink: opened with
//   O_NOFOLLOW | O_NONBLOCK and checked with fstat, so a read never blocks), owned by us — or by
//   root when its directory is root-owned and not writable by others (a fleet default baked into
//   an image) — and not writable by group or others; otherwise one warning and it is ignored;
// - writes go to an exclusive (O_EXCL), randomly named temp file in the same directory, then are
//   renamed over the target (a symlink planted at the target is replaced, never followed).

import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import type { ConfigMap } from './remote-config';
import { unsafeDir } from '../util/cache-dir';
import { readOpened } from '../util/read-small-file';

export interface CachedConfig {
  hash: Uint8Array;
  configMap: ConfigMap;
}

const MAX_CACHE_BYTES = 1024 * 1024;
const { O_RDONLY, O_NOFOLLOW = 0, O_NONBLOCK = 0 } = fs.constants;

/** Why the file may not be trusted, or undefined when it may. */
export function untrusted(st: fs.Stats, dir: fs.Stats | undefined, uid = process.getuid?.()): string | undefined {
  if (st.isSymbolicLink()) return 'is a symbolic link';
  if (!st.isFile()) return 'is not a regular file';
  if (uid === undefined) return undefined; // Windows: no uids or modes to check
  const rootDefault = st.uid === 0 && dir !== undefined && dir.uid === 0 && (dir.mode & 0o022) === 0;
  if (st.uid !== uid && !rootDefault) {
    return st.uid === 0 ? 'is owned by root in a directory that is not root-owned or is writable by others' : `is owned by uid ${st.uid}, not by us (uid ${uid}) or root`;
  }
  if (st.mode & 0o022) return `is writable by group or others (mode ${(st.mode & 0o777).toString(8)})`;
  if (st.size > MAX_CACHE_BYTES) return `is larger than ${MAX_CACHE_BYTES} bytes`;
  return undefined;
}

export function readCache(file: string, warn: (msg: string) => void, label = `OTEL_NODE_OPAMP_CACHE_FILE ${file}`): CachedConfig | undefined {
  const refuse = (why: string) => {
    warn(`${label} ${why}; it is ignored and local configuration applies.`);
    return undefined;
  };
  let text: string;
  let fd: number | undefined;
  try {
    const first = fs.lstatSync(file);
    const dir = statOrUndefined(path.dirname(file));
    const why = untrusted(first, dir);
    if (why) return refuse(why);
    fd = fs.openSync(file, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
    // The same file we checked (not swapped in between), still regular.
    const st = fs.fstatSync(fd);
    if (st.ino !== first.ino || st.dev !== first.dev) return refuse('changed while being opened');
    const again = untrusted(st, dir);
    if (again) return refuse(again);
    text = readOpened(fd, st.size).toString('utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    return refuse(code === 'ELOOP' ? 'is a symbolic link' : `cannot be read (${code})`);
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
  try {
    const data = JSON.parse(text);
    if (typeof data?.hash !== 'string' || typeof data?.configMap !== 'object' || data.configMap === null) throw new Error('missing hash or configMap');
    const configMap: ConfigMap = {};
    for (const [key, entry] of Object.entries(data.configMap as Record<string, { body?: string; contentType?: string }>)) {
      if (key === '__proto__') continue;
      configMap[key] = { body: Buffer.from(String(entry?.body ?? ''), 'base64'), contentType: String(entry?.contentType ?? '') };
    }
    return { hash: Buffer.from(data.hash, 'hex'), configMap };
  } catch (err) {
    warn(`${label} is not a valid cache (${(err as Error).message}); it is ignored.`);
    return undefined;
  }
}

/**
 * Returns false when the file cannot be written (read-only image, no space, a directory that is
 * not ours or not the one `expectedDir` describes): not an error.
 */
export function writeCache(file: string, cached: CachedConfig, expectedDir?: fs.Stats): boolean {
  const configMap: Record<string, { body: string; contentType: string }> = {};
  for (const [key, f] of Object.entries(cached.configMap)) configMap[key] = { body: Buffer.from(f.body ?? new Uint8Array()).toString('base64'), contentType: f.contentType ?? '' };
  const text = JSON.stringify({ hash: Buffer.from(cached.hash).toString('hex'), configMap, savedAt: new Date().toISOString() }, null, 2);
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(12).toString('hex')}.tmp`);
  let created = false;
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    // Re-checked right before writing: the directory may have been swapped for a symlink (or
    // another user's directory) since start-up; then nothing is written.
    const dir = fs.lstatSync(path.dirname(file));
    if (unsafeDir(dir) || (expectedDir && (dir.dev !== expectedDir.dev || dir.ino !== expectedDir.ino || dir.uid !== expectedDir.uid))) return false;
    // 'wx' = O_CREAT | O_EXCL: fails on anything already there, a planted symlink included.
    const fd = fs.openSync(tmp, 'wx', 0o600);
    created = true;
    try {
      fs.writeSync(fd, text);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
    return true;
  } catch {
    if (created) fs.rmSync(tmp, { force: true });
    return false;
  }
}

function statOrUndefined(p: string): fs.Stats | undefined {
  try {
    return fs.statSync(p);
  } catch {
    return undefined;
  }
}
