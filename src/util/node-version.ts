// Node's own version as numbers: the guards ask whether it is supported, the hooks which loader
// it offers. Kept tiny and dependency-free: the guards load it on every start-up.

export function nodeVersion(version: string = process.versions.node): [major: number, minor: number, patch: number] {
  const [major = 0, minor = 0, patch = 0] = version.split('.').map((n) => parseInt(n, 10) || 0);
  return [major, minor, patch];
}
