// What doctor and the start-up summary say a bundle hides (bundleVisibility): node-redis inside a
// bundle is traced through its channels, a MULTI/EXEC batch as one span: its commands are not seen.

import { describe, expect, it } from 'vitest';
import { bundleVisibility } from '../../src/instrumentations/coverage';
import { CATALOGUE } from '../../src/instrumentations/table';

describe('bundleVisibility', () => {
  it('node-redis inside: the commands of its MULTI/EXEC batches are named as not seen', () => {
    const v = bundleVisibility(['@redis/client', 'redis', 'express'], CATALOGUE);
    expect(v.notSeen).toContain('express');
    expect(v.notSeen).toMatch(/the commands of a node-redis MULTI\/EXEC batch \(one span per batch/);
    expect(v.seen).toMatch(/node-redis 5\.12\+ commands \(a MULTI as one span\)/);
  });

  it('no node-redis inside: no word about MULTI among what is not seen', () => {
    expect(bundleVisibility(['ioredis', 'express'], CATALOGUE).notSeen).not.toMatch(/MULTI/);
  });
});
