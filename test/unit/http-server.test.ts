// The lean SERVER path builds the same attributes as upstream's builder, or hands the request to it.

import { describe, expect, it } from 'vitest';
import { requireInternal } from '../../src/otel-line/internals';
import type { IncomingMessage } from 'http';
import { requestAttributes } from '../../src/instrumentations/http-server';

// Upstream's own builder, which the lean path must match attribute for attribute.
const { getIncomingRequestAttributes } = requireInternal<any>('instrumentation-http/utils');
const upstream = (req: IncomingMessage, component: string) =>
  getIncomingRequestAttributes(req, { component, enableSyntheticSourceDetection: false, redactedQueryParams: ['sig', 'Signature', 'AWSAccessKeyId', 'X-Goog-Signature'] }, { verbose() {} });

function request(url: string, headers: Record<string, string | string[]>, method = 'GET'): IncomingMessage {
  return { method, url, headers, httpVersion: '1.1', socket: { remoteAddress: '10.1.2.3', remotePort: 51234 } } as unknown as IncomingMessage;
}

describe('lean HTTP SERVER attributes', () => {
  it.each([
    ['/', { host: 'example.com' }, 'http'],
    ['/users/42', { host: 'api.local:8080', 'user-agent': 'curl/8' }, 'http'],
    ['/search?q=a+b&sig=secret&x=%20y', { host: '127.0.0.1:3000' }, 'http'],
    ['/s?Signature=abc&AWSAccessKeyId=k', { host: 'svc' }, 'https'],
    ["/a-b_c~d!$&'()*+,;=:@/e%2Ff", { host: 'svc:1' }, 'http'],
    ['/q?', { host: 'svc' }, 'http'],
    ['/x?k=%zz&k=2', { host: 'svc' }, 'http'],
  ])('%s is built as upstream builds it', (url, headers, component) => {
    const req = request(url, headers);
    const lean = requestAttributes(req, component);
    expect(lean).toBeDefined();
    expect(lean).toEqual(upstream(req, component));
    expect(Object.keys(lean!)).toEqual(Object.keys(upstream(req, component)));
  });

  it.each([
    ['dot segments', request('/a/../b', { host: 'svc' })],
    ['a dot segment at the end', request('/a/.', { host: 'svc' })],
    ['characters URL parsing encodes', request('/a b', { host: 'svc' })],
    ['an absolute-form target', request('http://other/x', { host: 'svc' })],
    ['no Host header', request('/x', {})],
    ['an IPv6 Host header', request('/x', { host: '[::1]:8080' })],
    ['a forwarded request', request('/x', { host: 'svc', 'x-forwarded-for': '1.2.3.4' })],
    ['a Forwarded header', request('/x', { host: 'svc', forwarded: 'for=1.2.3.4;host=a' })],
    ['an unknown method', request('/x', { host: 'svc' }, 'PROPFIND')],
  ])('%s takes upstream’s builder', (_what, req) => {
    expect(requestAttributes(req, 'http')).toBeUndefined();
  });
});
