// Which processes are tooling (bootstrap/tooling.ts, guards.ts): rules that look at the script and
// its first argument, and the operator's lists, which win.

import { describe, expect, it } from 'vitest';
import { isExcludedProcess, processNames } from '../../src/bootstrap/guards';
import { DEFAULT_EXCLUDED_PROCESSES } from '../../src/config/settings';

const NODE = '/usr/local/bin/node';
const APP = '/srv/shop';
const PACKAGE_MANAGERS = DEFAULT_EXCLUDED_PROCESSES.split(',');

function excluded(args: string[], lists: { excluded?: string[]; included?: string[] } = {}): string | undefined {
  const argv = [NODE, ...args];
  return isExcludedProcess(processNames(argv, NODE), [...PACKAGE_MANAGERS, ...(lists.excluded ?? [])], lists.included ?? [], argv);
}

describe('tooling', () => {
  it.each([
    ['next build', [`${APP}/node_modules/next/dist/bin/next`, 'build'], 'next build'],
    ['next build --debug', [`${APP}/node_modules/next/dist/bin/next`, '--debug', 'build'], 'next build'],
    ["next build's workers (jest-worker)", [`${APP}/node_modules/next/dist/compiled/jest-worker/processChild.js`], 'processChild'],
    ['nuxt build', [`${APP}/node_modules/nuxt/bin/nuxt.mjs`, 'build'], 'nuxt build'],
    ['nuxi generate', [`${APP}/node_modules/nuxi/bin/nuxi.mjs`, 'generate'], 'nuxi generate'],
    ['vite build', [`${APP}/node_modules/vite/bin/vite.js`, 'build'], 'vite build'],
    ['tsc', [`${APP}/node_modules/typescript/bin/tsc`, '-p', '.'], 'typescript'],
    ['webpack', [`${APP}/node_modules/webpack/bin/webpack.js`], 'webpack'],
    ['rollup', [`${APP}/node_modules/rollup/dist/bin/rollup`, '-c'], 'rollup'],
    ['jest', [`${APP}/node_modules/jest/bin/jest.js`], 'jest'],
    ['vitest', [`${APP}/node_modules/vitest/vitest.mjs`, 'run'], 'vitest'],
    ['mocha', [`${APP}/node_modules/mocha/bin/mocha.js`], 'mocha'],
    ['eslint', [`${APP}/node_modules/eslint/bin/eslint.js`, '.'], 'eslint'],
    ['prettier', [`${APP}/node_modules/prettier/bin/prettier.cjs`, '--check', '.'], 'prettier'],
    ['npm (unchanged)', ['/usr/lib/node_modules/npm/bin/npm-cli.js', 'run', 'build'], 'npm'],
  ])('%s is tooling', (_what, args, rule) => {
    expect(excluded(args)).toBe(rule);
  });

  it.each([
    ['next start', [`${APP}/node_modules/next/dist/bin/next`, 'start', '-p', '3000']],
    ['next dev', [`${APP}/node_modules/next/dist/bin/next`, 'dev']],
    ['a Nuxt build run', [`${APP}/.output/server/index.mjs`]],
    ['vite preview', [`${APP}/node_modules/vite/bin/vite.js`, 'preview']],
    ["the app's own script, whatever its arguments", [`${APP}/server.js`, 'build']],
    ['a script named like nothing known', [`${APP}/dist/main.js`]],
  ])('%s is the service', (_what, args) => {
    expect(excluded(args)).toBeUndefined();
  });

  it('OTEL_NODE_INCLUDED_PROCESSES wins: a name, or a name and its command', () => {
    const build = [`${APP}/node_modules/next/dist/bin/next`, 'build'];
    expect(excluded(build, { included: ['next'] })).toBeUndefined();
    expect(excluded(build, { included: ['next build'] })).toBeUndefined();
    expect(excluded(build, { included: ['next lint'] })).toBe('next build');
    expect(excluded([`${APP}/node_modules/typescript/bin/tsc`], { included: ['tsc'] })).toBeUndefined();
  });

  it('OTEL_NODE_EXCLUDED_PROCESSES takes a command too', () => {
    const migrate = [`${APP}/scripts/migrate.js`, 'up'];
    expect(excluded(migrate, { excluded: ['migrate up'] })).toBe('migrate up');
    expect(excluded([`${APP}/scripts/migrate.js`, 'serve'], { excluded: ['migrate up'] })).toBeUndefined();
  });
});
