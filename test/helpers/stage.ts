// Apps that a test runs as another user (`nobody`) run from a staged copy of the checkout in a
// world-readable temporary prefix, never from the checkout itself: a clone under a 0700 home (or
// in a `mktemp -d` folder) is not reachable by other users, and the app would fail to load the
// preload instead of showing what the test is about. The Injector's users read the preload from
// a world-readable system path; the stage stands for that.
//
// The copy is made of hard links where the file system allows it (a second or two for the whole
// tree, no bytes copied), else copied. Hard links share the files' own modes, which a clone made
// with the usual umask has world-readable; only the folders above the checkout are private.

import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { REPO } from './processes';

export interface Stage {
  /** The staged package root: register.cjs, register.mjs, build/, node_modules/, lines/. */
  root: string;
  /** The staged fixtures; `otel-preload` resolves from them to the staged root. */
  fixtures: string;
  /** `--require <root>/register.cjs`, as the Injector sets it. */
  require: string;
  remove(): void;
}

const PARTS = ['package.json', 'register.cjs', 'register.mjs', 'build', 'node_modules', 'lines', 'fixtures'];

function copy(from: string, to: string): void {
  try {
    execFileSync('cp', ['-a', '-l', from, to], { stdio: 'pipe' });
  } catch {
    fs.rmSync(to, { recursive: true, force: true });
    execFileSync('cp', ['-a', from, to], { stdio: 'pipe' }); // another file system: a real copy
  }
}

/** Stages the checkout into a fresh 0755 folder under the system's temp directory. */
export function stageForOtherUsers(): Stage {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'otel-preload-stage-'));
  fs.chmodSync(root, 0o755);
  for (const part of PARTS) {
    const from = path.join(REPO, part);
    if (fs.existsSync(from)) copy(from, path.join(root, part));
  }
  // fixtures/node_modules/otel-preload points at the checkout (global-setup.ts); point it here.
  const link = path.join(root, 'fixtures/node_modules/otel-preload');
  fs.mkdirSync(path.dirname(link), { recursive: true });
  fs.rmSync(link, { recursive: true, force: true });
  fs.symlinkSync(root, link, 'dir');
  return {
    root,
    fixtures: path.join(root, 'fixtures'),
    require: `--require ${path.join(root, 'register.cjs')}`,
    remove: () => fs.rmSync(root, { recursive: true, force: true }),
  };
}
