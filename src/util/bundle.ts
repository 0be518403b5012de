// Is the entry script a bundle? A bundler (esbuild, webpack, ncc, rollup) copies the app's
// libraries into one file, so they are never loaded through require() or import, and the
// instrumentations that patch modules on load never see them: the app gets its HTTP SERVER spans
// (core http is not bundled) and nothing else, silently. Detected from the bundlers' own runtime
// helpers in the file; the packages inside are read from the paths bundlers leave in comments and
// module ids (esbuild's `// node_modules/express/index.js`, webpack's `./node_modules/pg/lib/…`),
// which minified production builds may not keep. Next.js standalone output is named too: its
// server.js loads the app's bundled pages (.next/server), not the libraries they include.

import * as fs from 'fs';

export interface Bundle {
  tool: 'esbuild' | 'webpack' | 'ncc' | 'rollup' | 'next-standalone';
  file: string;
  /** Packages whose code is inside the bundle, as far as its comments and module ids say. */
  packages: string[];
}

/** Bundles larger than this are not read (start-up cost is bounded): only the head is checked. */
const MAX_READ = 16 * 1024 * 1024;
const HEAD = 256 * 1024;

const ESBUILD_MINIFIED_CJS = /\|\|\s*[\w$]+\(\(([\w$]+)=\{exports:\{\}\}\)\.exports,\s*\1\)/;

const SIGNATURES: Array<[Bundle['tool'], (text: string) => boolean]> = [
  ['next-standalone', (t) => t.includes('__NEXT_PRIVATE_STANDALONE_CONFIG')],
  ['ncc', (t) => t.includes('__nccwpck_require__')],
  ['webpack', (t) => t.includes('__webpack_require__') || t.includes('__webpack_modules__')],
  // esbuild's runtime helpers, as it names them in every non-minified bundle; minified, its
  // `__commonJS` wrapper still reads `e||n((e={exports:{}}).exports,e)` whatever the names (and the
  // `// node_modules/` comments are gone, so the packages inside are not known).
  ['esbuild', (t) => t.includes('var __commonJS = ') || t.includes('var __esm = ') || t.includes('var __toESM = ') || ESBUILD_MINIFIED_CJS.test(t)],
  ['rollup', (t) => t.includes('getDefaultExportFromCjs') || t.includes('commonjsGlobal') || t.includes('createCommonjsModule')],
];

/** The bundle the script is, or undefined (not a bundle, or unreadable). Never throws. */
export function detectBundle(script: string | undefined): Bundle | undefined {
  if (!script) return undefined;
  try {
    const size = fs.statSync(script).size;
    const fd = fs.openSync(script, 'r');
    let text: string;
    try {
      const buf = Buffer.alloc(Math.min(size, size > MAX_READ ? HEAD : MAX_READ));
      fs.readSync(fd, buf, 0, buf.length, 0);
      text = buf.toString('utf8');
    } finally {
      fs.closeSync(fd);
    }
    const hit = SIGNATURES.find(([, test]) => test(text));
    if (!hit) return undefined;
    return { tool: hit[0], file: script, packages: packagesIn(text) };
  } catch {
    return undefined;
  }
}

/** `node_modules/<name>/` and `node_modules/@scope/<name>/` paths left in the bundle. */
export function packagesIn(text: string): string[] {
  const found = new Set<string>();
  const re = /node_modules[\\/]+((?:@[\w.-]+[\\/]+)?[\w.-]+)[\\/]/g;
  for (let m = re.exec(text); m; m = re.exec(text)) found.add(m[1].replace(/[\\/]+/g, '/'));
  return [...found].sort();
}
