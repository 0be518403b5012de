// Nuxt 4 production build (Nitro's node-server output, `node .output/server/index.mjs`), built once
// into the cache (with Node 24: Nuxt 4.5's builder needs Node 22+; the output runs on the test's
// Node). Nitro writes its own `.output/server/package.json` named `nuxt-storefront-prod`: the
// service must still be the app's `nuxt-storefront`. Nitro bundles h3, so the route comes from
// Nitro's own hooks: `/api/items/:id` for a server route, `/**` for the page renderer, none for a
// 404. vite is pinned to 8.2.6 (package.json overrides): Nuxt 4.5.2 fails to build with vite 8.4.0.

import { corpusSuite, withoutTimings } from './contract';

corpusSuite({
  name: 'nuxt-storefront',
  service: { name: 'nuxt-storefront', version: '4.2.0' },
  argv: () => ['.output/server/index.mjs'],
  env: () => ({ NITRO_HOST: '127.0.0.1', NUXT_TELEMETRY_DISABLED: '1' }),
  ready: /Listening on/,
  requests: [
    { path: '/', status: 200, route: '/**' },
    { path: '/items/42', status: 200, route: '/**' },
    { path: '/api/items/9', status: 200, route: '/api/items/:id' },
    { path: '/api/items', status: 200, route: '/api/items' },
    { path: '/api/catalog', status: 200, route: '/api/catalog', children: ['SPAN_KIND_CLIENT'] },
    { path: '/nope', status: 404, route: null },
  ],
  stopSignal: 'SIGTERM',
  normalize: withoutTimings,
});
