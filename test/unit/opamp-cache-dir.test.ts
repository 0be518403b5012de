// The default OpAMP cache directory as root with HOME pointing into another user's home (su
// without -, sudo -E): that user's directory is refused, and a directory swapped for a symlink
// after start-up never redirects root's writes. Needs root to own files as `nobody`.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultCacheDir } from '../../src/util/cache-dir';
import { writeCache } from '../../src/remote/cache';

const NOBODY = 65534;
const asRoot = process.geteuid?.() === 0;
if (!asRoot) console.log('opamp-cache-dir: skipped, needs root to create files owned by nobody');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'opamp-cache-dir-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const cached = { hash: Uint8Array.from([1]), configMap: { 'otel-preload': { body: Buffer.from('{}'), contentType: 'application/json' } } };

describe.skipIf(!asRoot)('the default cache directory as root', () => {
  it.each([
    ['home/.cache owned by nobody', NOBODY, 0o755, /\.cache belongs to uid 65534, not to us \(uid 0\) or root/],
    ['home/.cache root-owned but writable by others', 0, 0o777, /\.cache is writable by group or others \(mode 777\)/],
  ])('%s: refused with the reason, nothing created in it', (name, owner, mode, why) => {
    const home = fs.mkdtempSync(path.join(tmp, 'home-'));
    fs.chownSync(home, NOBODY, NOBODY);
    fs.mkdirSync(path.join(home, '.cache'));
    fs.chownSync(path.join(home, '.cache'), owner, owner);
    fs.chmodSync(path.join(home, '.cache'), mode);
    const r = defaultCacheDir({ homeDir: () => home, tmpDir: () => tmp });
    expect(r.dir).toBeUndefined();
    expect(r.why).toMatch(why);
    expect(fs.existsSync(path.join(home, '.cache', 'otel-preload'))).toBe(false);
  });

  it('the otel-preload directory itself owned by nobody: refused', () => {
    const home = fs.mkdtempSync(path.join(tmp, 'home-'));
    fs.mkdirSync(path.join(home, '.cache', 'otel-preload'), { recursive: true, mode: 0o700 });
    fs.chownSync(path.join(home, '.cache', 'otel-preload'), NOBODY, NOBODY);
    expect(defaultCacheDir({ homeDir: () => home, tmpDir: () => tmp }).why).toMatch(/otel-preload belongs to uid 65534/);
  });

  it('.cache a symlink into another directory: refused, nothing created there', () => {
    const home = fs.mkdtempSync(path.join(tmp, 'home-'));
    const elsewhere = fs.mkdtempSync(path.join(tmp, 'elsewhere-'));
    fs.symlinkSync(elsewhere, path.join(home, '.cache'));
    expect(defaultCacheDir({ homeDir: () => home, tmpDir: () => tmp }).why).toMatch(/\.cache is a symbolic link/);
    expect(fs.readdirSync(elsewhere)).toEqual([]);
  });

  it('the directory swapped for a symlink after start-up: the write is refused, the target untouched', () => {
    const home = fs.mkdtempSync(path.join(tmp, 'home-'));
    const { dir } = defaultCacheDir({ homeDir: () => home, tmpDir: () => tmp });
    expect(dir).toBe(path.join(home, '.cache', 'otel-preload'));
    const checked = fs.lstatSync(dir!);
    expect(writeCache(path.join(dir!, 'opamp-svc.json'), cached, checked)).toBe(true);
    const target = fs.mkdtempSync(path.join(tmp, 'target-'));
    // Moved aside, not removed: its inode stays taken, so a new directory cannot reuse it.
    fs.renameSync(dir!, `${dir}.old`);
    fs.symlinkSync(target, dir!);
    expect(writeCache(path.join(dir!, 'opamp-svc.json'), cached, checked)).toBe(false);
    expect(fs.readdirSync(target)).toEqual([]);
    // Another real directory in its place (same owner, new inode) is not the one checked either.
    fs.rmSync(dir!);
    fs.mkdirSync(dir!, { mode: 0o700 });
    expect(writeCache(path.join(dir!, 'opamp-svc.json'), cached, checked)).toBe(false);
  });
});
