// Prints the README's table of instrumentations from the catalogue (`npm run docs:tables` prints
// both tables); test/unit/readme.test.ts fails when the README's copy is out of date.

import { CATALOGUE } from '../src/instrumentations/table';

export function instrumentationTable(): string {
  const rows = CATALOGUE.map((e) => {
    const targets = e.onGlobalFetch ? [...e.modules, 'global fetch()'] : e.modules.length ? e.modules : ['(none: starts with the SDK)'];
    return `| \`${e.name}\`${e.offByDefault ? ' (off by default)' : ''} | ${targets.map((m) => (m.includes(' ') ? m : `\`${m}\``)).join(', ')} | ${e.produces ?? ''} |`;
  });
  return ['| Name (for `OTEL_NODE_*_INSTRUMENTATIONS`) | Target modules | Produces |', '| --- | --- | --- |', ...rows].join('\n');
}

if (require.main === module) console.log(instrumentationTable());
