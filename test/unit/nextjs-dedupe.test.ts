// The route template Next.js spans carry, normalised as Next.js normalises app paths.

import { describe, expect, it } from 'vitest';
import { appRoute } from '../../src/instrumentations/nextjs-dedupe';

describe('appRoute', () => {
  it.each([
    ['/items/[id]', '/items/[id]'],
    ['/api/items/[id]/route', '/api/items/[id]'],
    ['/(shop)/items/[id]/page', '/items/[id]'],
    ['/@modal/photos/[...slug]', '/photos/[...slug]'],
    ['/page', '/'],
    ['/', '/'],
  ])('%s → %s', (raw, expected) => {
    expect(appRoute(raw)).toBe(expected);
  });
});
