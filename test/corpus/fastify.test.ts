// Fastify 5: routes inside an encapsulated plugin under a prefix, ioredis on the local Redis, and
// the graceful SIGTERM handler Fastify's docs show (close, then let the loop drain).

import { corpusSuite, withoutTimings } from './contract';
import { missingServices } from '../helpers/services';

const missing = await missingServices(['redis']);
corpusSuite(
  {
    name: 'fastify-shop',
    service: { name: 'fastify-shop', version: '5.0.2' },
    argv: () => ['server.js'],
    ready: /fastify-shop listening/,
    requests: [
      { path: '/api/items/3', status: 200, route: '/api/items/:id', children: ['SPAN_KIND_CLIENT'] },
      { path: '/api/health', status: 200, route: '/api/health' },
      { path: '/missing', status: 404, route: null },
    ],
    stopSignal: 'SIGTERM',
    normalize: withoutTimings,
  },
  missing.length > 0,
);
