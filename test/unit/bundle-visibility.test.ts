// What doctor and the start-up summary say a bundle hides (bundleVisibility): node-redis inside a
// bundle is traced through its channels, except MULTI/EXEC batches, which publish no command.

import { describe, expect, it } from 'vitest';
import { bundleVisibility } from '../../src/instrumentations/coverage';
import { CATALOGUE } from '../../src/instrumentations/table';

describe('bundleVisibility', () => {
  it('node-redis inside: its MULTI/EXEC batches are named as not seen', () => {
    const v = bundleVisibility(['@redis/client', 'redis', 'express'], CATALOGUE);
    expect(v.notSeen).toContain('express');
    expect(v.notSeen).toMatch(/node-redis MULTI\/EXEC batches/);
    expect(v.seen).toMatch(/node-redis 5\.12\+ commands \(not MULTI batches\)/);
  });

  it('no node-redis inside: no word about MULTI among what is not seen', () => {
    expect(bundleVisibility(['ioredis', 'express'], CATALOGUE).notSeen).not.toMatch(/MULTI/);
  });
});
