// The distribution's identity, reported as telemetry.distro.* and in diagnostics.
// package.json sits two levels above build/src (and beside register.cjs in the dist folder);
// one level above src/ when the sources run directly (unit tests).

function readPackageJson(): { name: string; version: string } {
  try {
    return require('../../package.json');
  } catch {
    return require('../package.json');
  }
}

const pkg = readPackageJson();

export const DISTRO_NAME: string = pkg.name;
export const DISTRO_VERSION: string = pkg.version;
