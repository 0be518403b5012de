// `node build/scripts/deb.js [OUT_DIR]`: a Debian package of the distribution for hosts with the
// OpenTelemetry Injector, built with dpkg-deb alone. It installs
//   /usr/lib/opentelemetry/nodejs/               the self-contained folder (scripts/dist.ts)
//   /usr/lib/opentelemetry/nodejs/register.js    the name the OpenTelemetry packaging's Node.js
//                                                agent uses, so that this package can replace it
//   /etc/opentelemetry/injector/conf.d/nodejs.conf  the Injector drop-in (a conffile)
// dpkg upgrades it in place: files of the old version that the new one lacks are removed, nothing
// nests. Processes already running keep the code they loaded until they restart.

import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildDist } from './dist';
import { repoRoot } from './repo-root';

export const PACKAGE = 'otel-preload-nodejs';
export const INSTALL_DIR = 'usr/lib/opentelemetry/nodejs';
export const DROP_IN = 'etc/opentelemetry/injector/conf.d/nodejs.conf';

/** Builds the package's file tree (without DEBIAN/) under `stage`. */
export function stageTree(stage: string): void {
  const parent = path.join(stage, path.dirname(INSTALL_DIR));
  const { folder } = buildDist(parent);
  fs.rmSync(path.join(parent, 'otel-preload.tgz'), { force: true });
  fs.renameSync(folder, path.join(stage, INSTALL_DIR));
  fs.writeFileSync(path.join(stage, INSTALL_DIR, 'register.js'), "// Loaded as `--require /usr/lib/opentelemetry/nodejs/register.js` (the packaging's agent path).\nrequire('./register.cjs');\n");
  fs.mkdirSync(path.join(stage, path.dirname(DROP_IN)), { recursive: true });
  fs.copyFileSync(path.join(repoRoot(), 'injector/nodejs.conf'), path.join(stage, DROP_IN));
}

/** Writes DEBIAN/ for `version` and packs `stage` into OUT_DIR; returns the .deb's path. */
export function pack(stage: string, version: string, outDir: string): string {
  const debian = path.join(stage, 'DEBIAN');
  fs.mkdirSync(debian, { recursive: true });
  const installedKb = Math.ceil(Number(execFileSync('du', ['-sk', '--exclude=DEBIAN', stage], { encoding: 'utf8' }).split('\t')[0]));
  const control = [
    `Package: ${PACKAGE}`,
    `Version: ${version}`,
    'Architecture: all',
    'Maintainer: otel-preload maintainers <otel-preload@localhost>',
    `Installed-Size: ${installedKb}`,
    'Section: devel',
    'Priority: optional',
    'Provides: opentelemetry-nodejs-autoinstrumentation',
    'Conflicts: opentelemetry-nodejs-autoinstrumentation',
    'Replaces: opentelemetry-nodejs-autoinstrumentation',
    'Description: Zero-code OpenTelemetry preload for Node.js, for the OpenTelemetry Injector',
    ' Traces, metrics and logs over OTLP for every Node.js process the Injector reaches,',
    ' configured from OTEL_* variables. Needs Node.js ^18.19.0 || >=20.6.0 on the host.',
    '',
  ].join('\n');
  fs.writeFileSync(path.join(debian, 'control'), control);
  // An administrator's edits to the drop-in survive upgrades.
  fs.writeFileSync(path.join(debian, 'conffiles'), `/${DROP_IN}\n`);
  execFileSync('chmod', ['-R', 'u+w,go-w,a+rX', stage]);
  fs.mkdirSync(outDir, { recursive: true });
  const deb = path.join(outDir, `${PACKAGE}_${version}_all.deb`);
  execFileSync('dpkg-deb', ['--root-owner-group', '-Zxz', '--build', stage, deb], { stdio: ['ignore', 'pipe', 'pipe'] });
  return deb;
}

export function buildDeb(outDir: string, version: string = JSON.parse(fs.readFileSync(path.join(repoRoot(), 'package.json'), 'utf8')).version): string {
  const stage = fs.mkdtempSync(path.join(os.tmpdir(), 'otel-preload-deb-'));
  try {
    stageTree(stage);
    return pack(stage, version, outDir);
  } finally {
    fs.rmSync(stage, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const deb = buildDeb(path.resolve(process.argv[2] ?? path.join(repoRoot(), 'dist')));
  console.log(`${deb} (${Math.round(fs.statSync(deb).size / 1024)} KiB)`);
}
