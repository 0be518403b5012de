// util/redact.ts#redactText: what every printed line loses (issue #26.4), and what it keeps.
import { describe, expect, it } from 'vitest';
import { redactText, redactUrlValue } from '../../src/util/redact';
import { specifiers } from '../../scripts/dist-check';

describe('redactText', () => {
  it.each([
    ['OTEL_EXPORTER_OTLP_ENDPOINT="http://user:pa55@host:4318/x?token=abc&b=2" is not a URL', 'OTEL_EXPORTER_OTLP_ENDPOINT="http://REDACTED@host:4318/x?REDACTED" is not a URL'],
    ['OTEL_NODE_OPAMP_ENDPOINT="app:PASSWORD@opamp:4320" is not an http:// or https:// URL', 'OTEL_NODE_OPAMP_ENDPOINT="REDACTED@opamp:4320" is not an http:// or https:// URL'],
    ['--db=postgres://app:PASSWORD@db/x --api-token=SECRET1', '--db=postgres://REDACTED@db/x --api-token=REDACTED'],
    ['authorization=Bearer abcdefghijkl', 'authorization=REDACTED REDACTED'],
    // Passwords with '/' or '#' (why such a value is not a URL), one slash, a fragment.
    ['OTEL_EXPORTER_OTLP_ENDPOINT="http://alice:S3cr3t/PW@host:4317" is not a URL', 'OTEL_EXPORTER_OTLP_ENDPOINT="http://REDACTED@host:4317" is not a URL'],
    ['"http://alice:S3cr#3tPW@host:4317"', '"http://REDACTED@host:4317"'],
    ['export to http:/bob:PASSWORD@127.0.0.1:1 failed', 'export to http:/REDACTED@127.0.0.1:1 failed'],
    ['http://host:4317/#SECRET1 is not reachable', 'http://host:4317/#REDACTED is not reachable'],
  ])('%s', (input, output) => {
    expect(redactText(input)).toBe(output);
    for (const secret of ['pa55', 'PASSWORD', 'SECRET1', 'abcdefghijkl', 'token=abc', 'S3cr']) expect(redactText(input)).not.toContain(secret);
  });

  it('keeps what is not a secret: paths, plain URLs, header names', () => {
    for (const line of ["Cannot find module '../doc/directives.js'", 'traces export to http://127.0.0.1:4318/v1/traces failed (503)', 'names x-api-key: credential headers are never captured; it is left out.']) expect(redactText(line)).toBe(line);
  });

  it('span URLs: the presigned-URL parameters in any case, the rest of the query kept', () => {
    expect(redactUrlValue('/p?X-Amz-Signature=abc&x-amz-credential=AK%2F1&X-Amz-Security-Token=t&ok=1')).toBe('/p?X-Amz-Signature=REDACTED&x-amz-credential=REDACTED&X-Amz-Security-Token=REDACTED&ok=1');
  });
});

describe('dist-check specifiers', () => {
  it('finds requires and imports, not the ones in comments', () => {
    expect(specifiers(`// require("./compiled.js")\n/* require('./x') */ const a = require('../doc/directives.js'); import('./lazy.js');`, false)).toEqual(['../doc/directives.js', './lazy.js']);
    expect(specifiers(`import a from './a.mjs';\nexport { b } from "./b.js";\nimport './side.js';`, true).sort()).toEqual(['./a.mjs', './b.js', './side.js']);
  });
});
