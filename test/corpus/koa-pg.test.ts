// Koa 2 with nested @koa/router routers and knex on the local PostgreSQL; its own SIGTERM handler
// ends with process.exit(3).

import { corpusSuite } from './contract';
import { missingServices } from '../helpers/services';

const missing = await missingServices(['postgresql']);
corpusSuite({
  name: 'koa-pg-shop',
  service: { name: 'koa-pg-shop', version: '3.1.0' },
  argv: () => ['index.js'],
  ready: /koa-pg-shop listening/,
  requests: [
    { path: '/api/items/5', status: 200, route: '/api/items/:id', children: ['SPAN_KIND_CLIENT'] },
    { path: '/api/items/6?x=1', status: 200, route: '/api/items/:id', children: ['SPAN_KIND_CLIENT'] },
    { path: '/nope', status: 404, route: null },
  ],
  stopSignal: 'SIGTERM',
}, missing.length > 0);
