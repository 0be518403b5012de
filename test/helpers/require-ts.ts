// src/ loads heavy modules lazily with require('./x') so that a process pays only for what it
// uses. Unit tests import src/*.ts through vitest, but those inner require() calls go to Node's
// own loader, which cannot read TypeScript. This teaches it, for files under src/ only, by
// transpiling with the project's TypeScript (inline source maps keep coverage and stack traces
// pointing at the .ts lines). End-to-end tests never need it: they run the compiled build/.

import * as fs from 'fs';
import Module from 'module';
import * as path from 'path';
import * as ts from 'typescript';

const SRC = path.resolve(__dirname, '../../src') + path.sep;
type Loader = (module: { _compile(code: string, file: string): void }, file: string) => void;
const extensions = (Module as unknown as { _extensions: Record<string, Loader> })._extensions;

if (!extensions['.ts']) {
  extensions['.ts'] = (module, file) => {
    if (!file.startsWith(SRC)) throw new Error(`require() of TypeScript outside src/: ${file}`);
    const { outputText } = ts.transpileModule(fs.readFileSync(file, 'utf8'), {
      fileName: file,
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2020, esModuleInterop: true, inlineSourceMap: true, inlineSources: true },
    });
    module._compile(outputText, file);
  };
}
