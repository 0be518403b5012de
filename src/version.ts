// The distribution's identity, reported as telemetry.distro.* and in diagnostics.
// package.json sits two levels above build/src (and beside register.cjs in the dist folder).

const pkg = require('../../package.json') as { name: string; version: string };

export const DISTRO_NAME: string = pkg.name;
export const DISTRO_VERSION: string = pkg.version;
