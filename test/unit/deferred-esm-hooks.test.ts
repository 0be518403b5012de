// Which resolutions make the deferred ESM hooks load import-in-the-middle: the same ones its own
// resolve hook would act on, given the same include list.

import { describe, expect, it } from 'vitest';
import { includeMatcher } from '../../src/instrumentations/deferred-esm-hooks';

describe('includeMatcher', () => {
  const matches = includeMatcher(['express', 'http', /[\\/]node_modules[\\/]@nestjs[\\/]core[\\/]/g, 'file:///app/server.mjs']);

  it('a package name or builtin as the specifier, with or without node:', () => {
    expect(matches('express', 'file:///app/node_modules/express/index.js')).toBe(true);
    expect(matches('http', 'node:http')).toBe(true);
    expect(matches('node:http', 'node:http')).toBe(true);
  });

  it('a regular expression against the URL, as often as asked (no lastIndex carried from a g flag)', () => {
    const url = 'file:///app/node_modules/@nestjs/core/index.js';
    expect([matches('./index.js', url), matches('./index.js', url), matches('./index.js', url)]).toEqual([true, true, true]);
  });

  it('a URL on the list', () => {
    expect(matches('./server.mjs', 'file:///app/server.mjs')).toBe(true);
  });

  it('anything else is passed through without loading it', () => {
    expect(matches('lodash', 'file:///app/node_modules/lodash/lodash.js')).toBe(false);
    expect(matches('express-session', 'file:///app/node_modules/express-session/index.js')).toBe(false);
    expect(matches('./async-function/require.mjs', undefined)).toBe(false);
  });
});
