// service.name and service.version come from the application, never from a framework's or tool's
// own package.json when the entry script lives inside node_modules.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterAll, describe, expect, it } from 'vitest';
import { readConfig } from '../../src/config';
import { createLogger } from '../../src/log/logger';
import { nodeModulesOwner, serviceIdentity } from '../../src/sdk/resource/service-identity';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'service-identity-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

function write(file: string, content: object | string): string {
  const full = path.join(root, file);
  fs.mkdirSync(path.dirname(full), { recursive: true });
  fs.writeFileSync(full, typeof content === 'string' ? content : JSON.stringify(content));
  return full;
}

write('shop/package.json', { name: 'next-shop', version: '1.4.0' });
const nextBin = write('shop/node_modules/next/dist/bin/next', '');
write('shop/node_modules/next/package.json', { name: 'next', version: '15.5.29' });
const pnpmBin = write('shop/node_modules/.pnpm/@nestjs+cli@11.0.0/node_modules/@nestjs/cli/bin/nest.js', '');
write('shop/node_modules/.pnpm/@nestjs+cli@11.0.0/node_modules/@nestjs/cli/package.json', { name: '@nestjs/cli', version: '11.0.0' });
const appEntry = write('shop/server/index.js', '');
const globalBin = write('usr/lib/node_modules/json-server/lib/cli/bin.js', '');
write('usr/lib/node_modules/json-server/package.json', { name: 'json-server', version: '0.17.4' });
write('work/api/package.json', { name: 'work-api', version: '2.0.0' });
// A Nitro (Nuxt) production build: the generated server package beside .output/nitro.json.
write('storefront/package.json', { name: 'nuxt-storefront', version: '4.2.0' });
write('storefront/.output/nitro.json', { preset: 'node-server' });
write('storefront/.output/server/package.json', { name: 'nuxt-storefront-prod', version: '4.2.0', private: true });
const nitroEntry = write('storefront/.output/server/index.mjs', '');
// The same output copied alone into an image.
write('image/.output/nitro.json', { preset: 'node-server' });
write('image/.output/server/package.json', { name: 'nuxt-storefront-prod', version: '4.2.0', private: true });
const nitroImageEntry = write('image/.output/server/index.mjs', '');
// A directory called server with no nitro.json beside it is an ordinary package.
write('plain/server/package.json', { name: 'plain-prod', version: '1.0.0' });
const plainEntry = write('plain/server/index.js', '');

const config = readConfig({}).config;
const lines: string[] = [];
const log = createLogger('warn', (l) => lines.push(l));
const identity = (entry: string, cwd = path.join(root, 'shop')) => serviceIdentity(config, log, entry, cwd);

describe('service identity', () => {
  it.each([
    ['next start from node_modules', nextBin, { name: 'next-shop', version: '1.4.0' }],
    ['nest start from a pnpm store', pnpmBin, { name: 'next-shop', version: '1.4.0' }],
    ['the app its own entry', appEntry, { name: 'next-shop', version: '1.4.0' }],
    ['a relative entry inside node_modules', 'node_modules/next/dist/bin/next', { name: 'next-shop', version: '1.4.0' }],
    ['a Nitro build: the app, not the generated <app>-prod', nitroEntry, { name: 'nuxt-storefront', version: '4.2.0' }],
    ['a Nitro output copied alone: the generated name without -prod', nitroImageEntry, { name: 'nuxt-storefront', version: '4.2.0' }],
    ['a server/ directory that is no Nitro output', plainEntry, { name: 'plain-prod', version: '1.0.0' }],
  ])('%s', (_what, entry, expected) => {
    expect(identity(entry)).toEqual({ ...expected, source: 'package.json' });
  });

  it('a global CLI with no package.json owning its node_modules: the working directory’s', () => {
    expect(identity(globalBin, path.join(root, 'work/api'))).toEqual({ name: 'work-api', version: '2.0.0', source: 'package.json' });
  });

  it('OTEL_SERVICE_NAME still wins', () => {
    expect(serviceIdentity(readConfig({ OTEL_SERVICE_NAME: 'checkout' }).config, log, nextBin).name).toBe('checkout');
  });

  it('nodeModulesOwner takes the outermost node_modules', () => {
    expect(nodeModulesOwner('/srv/app/node_modules/.pnpm/x/node_modules/x/bin.js')).toBe('/srv/app');
    expect(nodeModulesOwner('/srv/app/index.js')).toBeUndefined();
    expect(nodeModulesOwner('/node_modules/x/bin.js')).toBe('/');
    expect(lines).toEqual([]);
  });
});
