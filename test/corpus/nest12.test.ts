// NestJS 12 (newest major; upstream nestjs-core declares <12) on its default Express 5 platform, pg on the local PostgreSQL, Nest's own shutdown
// hooks (it re-raises the signal after closing the app).

import { corpusSuite } from './contract';
import { missingServices } from '../helpers/services';

const missing = await missingServices(['postgresql']);
corpusSuite(
  {
    name: 'nest12-shop',
    service: { name: 'nest12-shop', version: '3.0.0' },
    argv: () => ['main.js'],
    ready: /nest12-shop listening/,
    requests: [
      { path: '/items/4', status: 200, route: '/items/:id', children: ['SPAN_KIND_CLIENT'] },
      { path: '/items', status: 200, route: '/items' },
      { path: '/nope', status: 404, route: null },
    ],
    stopSignal: 'SIGTERM',
  },
  missing.length > 0,
);

// The same app under app.setGlobalPrefix('v1'): routes carry the prefix, and a 404 inside the prefix
// (answered by the catch-all `*path` route Nest mounts there) or a method no route takes gets no route.
corpusSuite(
  {
    name: 'nest12-shop',
    title: "nest12-shop under setGlobalPrefix('v1')",
    service: { name: 'nest12-shop', version: '3.0.0' },
    argv: () => ['main.js'],
    env: () => ({ NEST_PREFIX: 'v1' }),
    ready: /nest12-shop listening/,
    requests: [
      { path: '/v1/items/4', status: 200, route: '/v1/items/:id', children: ['SPAN_KIND_CLIENT'] },
      { path: '/v1/items', status: 200, route: '/v1/items' },
      { path: '/v1/nope', status: 404, route: null },
      { path: '/items/4', status: 404, route: null },
    ],
    stopSignal: 'SIGTERM',
  },
  missing.length > 0,
);
