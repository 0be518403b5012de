// The last applied remote config on disk, so that a scale-out while the OpAMP server is down
// starts with the fleet's config instead of defaults. Written atomically (temp file + rename);
// a corrupt or unreadable file is ignored with a warning; a read-only file (baked into an image
// as a fleet default) is read and simply never rewritten.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { ConfigMap } from './remote-config';

export interface CachedConfig {
  hash: Uint8Array;
  configMap: ConfigMap;
}

export function defaultCacheFile(serviceName: string): string {
  return path.join(os.tmpdir(), 'otel-preload', `opamp-${serviceName.replace(/[^A-Za-z0-9._-]/g, '_')}.json`);
}

export function readCache(file: string, warn: (msg: string) => void): CachedConfig | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') warn(`OTEL_NODE_OPAMP_CACHE_FILE ${file} cannot be read (${code}); starting from local configuration.`);
    return undefined;
  }
  try {
    const data = JSON.parse(text);
    if (typeof data?.hash !== 'string' || typeof data?.configMap !== 'object' || data.configMap === null) throw new Error('missing hash or configMap');
    const configMap: ConfigMap = {};
    for (const [key, file] of Object.entries(data.configMap as Record<string, { body?: string; contentType?: string }>)) {
      configMap[key] = { body: Buffer.from(String(file.body ?? ''), 'base64'), contentType: String(file.contentType ?? '') };
    }
    return { hash: Buffer.from(data.hash, 'hex'), configMap };
  } catch (err) {
    warn(`OTEL_NODE_OPAMP_CACHE_FILE ${file} is not a valid cache (${(err as Error).message}); it is ignored.`);
    return undefined;
  }
}

/** Returns false when the file cannot be written (read-only image, no space): not an error. */
export function writeCache(file: string, cached: CachedConfig): boolean {
  const configMap: Record<string, { body: string; contentType: string }> = {};
  for (const [key, f] of Object.entries(cached.configMap)) configMap[key] = { body: Buffer.from(f.body ?? new Uint8Array()).toString('base64'), contentType: f.contentType ?? '' };
  const text = JSON.stringify({ hash: Buffer.from(cached.hash).toString('hex'), configMap, savedAt: new Date().toISOString() }, null, 2);
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(tmp, text, { mode: 0o600 });
    fs.renameSync(tmp, file);
    return true;
  } catch {
    try {
      fs.rmSync(tmp, { force: true });
    } catch {
      // nothing to clean
    }
    return false;
  }
}
