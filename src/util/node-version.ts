// The running Node.js version as numbers. Kept to ES2020 syntax and free of dependencies: the
// bootstrap guards use it to refuse unsupported versions, so it must parse on old Node too.

export function nodeVersion(version: string = process.versions.node): [major: number, minor: number, patch: number] {
  const [major, minor, patch] = version.split('.').map((n) => parseInt(n, 10));
  return [major, minor, patch];
}
