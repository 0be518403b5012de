// json-server 0.17: a real Express 4 app that mounts a router per resource inside its main router,
// started through its own CLI inside node_modules (as `npm start` does), so the service identity
// must come from the app's package.json, not json-server's.

import { corpusSuite, withoutTimings } from './contract';

corpusSuite({
  name: 'json-shop',
  service: { name: 'json-shop', version: '0.3.1' },
  argv: (_dir, port) => ['node_modules/json-server/lib/cli/bin.js', 'db.json', '--port', String(port), '--host', '127.0.0.1'],
  ready: /Type s \+ enter/,
  requests: [
    { path: '/posts', status: 200, route: '/posts' },
    { path: '/posts/1', status: 200, route: '/posts/:id' },
    { path: '/posts/2?_embed=comments', status: 200, route: '/posts/:id' },
    { path: '/profile', status: 200, route: '/profile' },
    { path: '/db', status: 200, route: '/db' },
    { path: '/nope', status: 404, route: null },
  ],
  stopSignal: 'SIGTERM',
  normalize: withoutTimings,
});
