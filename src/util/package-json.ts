// Walks up from a file to the package.json files above it (Node's own lookup order).

import { readFileSync } from 'fs';
import * as path from 'path';

export interface PackageJson {
  name?: string;
  version?: string;
  type?: string;
  main?: string;
  dependencies?: Record<string, string>;
  [key: string]: unknown;
}

/**
 * Returns the first package.json above `from` (a file or directory) that `accept` takes.
 * Unreadable or invalid files are reported through `onProblem` and skipped.
 */
export function findPackageJson(from: string, accept: (pkg: PackageJson) => boolean, onProblem?: (file: string, why: string) => void): PackageJson | undefined {
  return findPackageJsonIn(from, accept, onProblem)?.pkg;
}

/** As findPackageJson, with the directory the accepted package.json is in. */
export function findPackageJsonIn(from: string, accept: (pkg: PackageJson) => boolean, onProblem?: (file: string, why: string) => void): { pkg: PackageJson; dir: string } | undefined {
  let dir = path.resolve(from);
  for (;;) {
    const file = path.join(dir, 'package.json');
    let text: string | undefined;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') onProblem?.(file, `cannot be read (${code})`);
    }
    if (text !== undefined) {
      try {
        const pkg = JSON.parse(text);
        if (pkg && typeof pkg === 'object' && accept(pkg)) return { pkg, dir };
      } catch {
        onProblem?.(file, 'is not valid JSON');
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}
