// The script this process runs, as every part of the preload must read it. Under `node -e` /
// `node -p` there is none: argv[1] is then the evaluated code's first argument (`node -e code
// foo` has argv [node, 'foo']), and treating 'foo' as a script made in-thread ESM hooks load on
// Node 24, which breaks Node's own require('module') in eval mode. Node sets process._eval for
// every eval form (-e, -p, -pe, --eval=, --print) before any --require runs. Code read from stdin
// (`node - args`) has '-' there. Plain ES2020 so that the guards can import it.

export function entryScript(argv: readonly string[] = process.argv, evaluated: unknown = (process as { _eval?: unknown })._eval): string | undefined {
  if (typeof evaluated === 'string') return undefined;
  const script = argv[1];
  return script && script !== '-' ? script : undefined;
}
