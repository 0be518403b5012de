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
