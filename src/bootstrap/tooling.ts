// Build tools, bundlers, compilers, test runners and linters: processes the Injector's NODE_OPTIONS
// reaches on every build machine and CI runner, which are not the service. Instrumented, a
// `nuxt build` exported runtime metrics under the app's own name on every build. They are left
// alone like the package managers (settings.ts DEFAULT_EXCLUDED_PROCESSES). A rule names a process
// as processNames() does (executable, script base name, the package the script belongs to); with
// `commands`, only those first arguments are tooling: `next build` is, `next start` is the service.
// OTEL_NODE_INCLUDED_PROCESSES (`next`, or `next build`) wins over every rule here.
// Kept free of dependencies and of syntax newer than ES2020, like guards.ts.

export interface ToolRule {
  name: string;
  /** Only these subcommands (the first argument that is not an option); absent = always. */
  commands?: readonly string[];
}

const always = (...names: string[]): ToolRule[] => names.map((name) => ({ name }));
const BUILD = ['build', 'generate', 'export', 'lint', 'typecheck', 'prepare', 'analyze', 'info', 'telemetry', 'test', 'check', 'sync'];

export const TOOLING: readonly ToolRule[] = [
  // Compilers and bundlers.
  ...always('typescript', 'tsc', 'tsserver', 'vue-tsc', 'svelte-check', 'webpack', 'webpack-cli', 'rollup', 'esbuild', 'tsup', 'parcel', '@swc/cli', 'swc', '@babel/cli', 'babel', 'turbo', 'nx', 'lerna', 'gulp', 'grunt'),
  // Test runners and their workers (jest-worker's child also runs `next build`'s and terser's workers).
  ...always('jest', 'jest-cli', 'jest-worker', 'processChild', 'vitest', 'mocha', '_mocha', 'ava', 'tap', 'c8', 'nyc', 'karma', 'playwright', '@playwright/test', '@cucumber/cucumber', 'cucumber-js'),
  // Linters and formatters, hooks around commits.
  ...always('eslint', 'prettier', 'stylelint', '@biomejs/biome', 'biome', 'oxlint', 'tslint', 'husky', 'lint-staged', 'rimraf'),
  // Framework CLIs: their build-time commands only (`next start`, `nuxt preview`, `vite preview` run the app).
  ...['next', 'nuxt', 'nuxi', 'vite', 'astro', 'remix', 'gatsby', 'ng', '@angular/cli', 'vue-cli-service', 'react-scripts', 'svelte-kit', 'nest', '@nestjs/cli'].map((name) => ({ name, commands: BUILD })),
];

/** The first argument after the script that is not an option: the subcommand (`build` in `next build --debug`). */
export function commandOf(argv: readonly string[]): string | undefined {
  for (let i = 2; i < argv.length; i++) if (!argv[i].startsWith('-')) return argv[i];
  return undefined;
}

/** Whether a list entry (`next`, or `next build`) names this process. */
export function entryMatches(entry: string, names: readonly string[], command: string | undefined): boolean {
  const [name, sub] = entry.trim().split(/\s+/, 2);
  return names.includes(name) && (sub === undefined || sub === command);
}

/** The built-in rule that makes this process tooling, as `name` or `name command`; undefined when none does. */
export function toolingRule(names: readonly string[], command: string | undefined): string | undefined {
  for (const rule of TOOLING) {
    if (!names.includes(rule.name)) continue;
    if (!rule.commands) return rule.name;
    if (command !== undefined && rule.commands.includes(command)) return `${rule.name} ${command}`;
  }
  return undefined;
}
