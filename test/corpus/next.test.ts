// Next.js 15 (app router) built once into the cache, started with `next start` from
// node_modules: a static page, a dynamic route, an API route, a page that fetches the app's own
// API, and a 404. Next.js emits its own SERVER span for each request; the request must still be
// represented once, with the route template, in spans and in the duration metric.

import { corpusSuite, withoutTimings } from './contract';

corpusSuite({
  name: 'next-shop',
  service: { name: 'next-shop', version: '1.4.0' },
  argv: (_dir, port) => ['node_modules/next/dist/bin/next', 'start', '-p', String(port), '-H', '127.0.0.1'],
  ready: /Ready in/,
  requests: [
    { path: '/', status: 200, route: '/' },
    { path: '/items/42', status: 200, route: '/items/[id]' },
    { path: '/items/43', status: 200, route: '/items/[id]' },
    { path: '/api/items/9', status: 200, route: '/api/items/[id]' },
    { path: '/catalog', status: 200, route: '/catalog', children: ['SPAN_KIND_CLIENT'] },
    { path: '/nope', status: 404, route: null },
  ],
  stopSignal: 'SIGTERM',
  normalize: withoutTimings,
});
