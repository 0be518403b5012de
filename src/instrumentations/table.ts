// Which instrumentation patches which modules, and how to load it. Nothing here is loaded until
// one of its target modules is first required or imported (see lazy-hooks.ts).
// Names are those of @opentelemetry/auto-instrumentations-node without the
// `@opentelemetry/instrumentation-` prefix, so OTEL_NODE_{ENABLED,DISABLED}_INSTRUMENTATIONS match.

import type { Instrumentation } from '@opentelemetry/instrumentation';
import type { Config } from '../config';

export interface InstrumentationEntry {
  name: string;
  /** Package (or core module) names whose first load activates this instrumentation. */
  modules: readonly string[];
  /** Off unless named in OTEL_NODE_ENABLED_INSTRUMENTATIONS (same defaults as upstream). */
  offByDefault?: boolean;
  /** Also activated on the first call of the global fetch(), which loads no module. */
  onGlobalFetch?: boolean;
  create(config: Readonly<Config>): Instrumentation;
}

export const CATALOGUE: readonly InstrumentationEntry[] = [
  {
    name: 'http',
    modules: ['http', 'https'],
    create: () => {
      const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http');
      return new HttpInstrumentation();
    },
  },
  {
    name: 'undici',
    modules: ['undici'],
    onGlobalFetch: true,
    create: () => {
      const { UndiciInstrumentation } = require('@opentelemetry/instrumentation-undici');
      return new UndiciInstrumentation();
    },
  },
  {
    name: 'express',
    modules: ['express'],
    create: () => {
      const { ExpressInstrumentation } = require('@opentelemetry/instrumentation-express');
      return new ExpressInstrumentation();
    },
  },
];

/** Resolves the enable/disable switches; unknown names are reported, never fatal. */
export function selectInstrumentations(config: Readonly<Config>, warn: (msg: string) => void): InstrumentationEntry[] {
  const known = new Set(CATALOGUE.map((e) => e.name));
  const normalise = (n: string) => n.replace(/^@opentelemetry\/instrumentation-/, '');
  const enabled = config.enabledInstrumentations?.map(normalise);
  const disabled = config.disabledInstrumentations.map(normalise);
  for (const [variable, names] of [
    ['OTEL_NODE_ENABLED_INSTRUMENTATIONS', enabled ?? []],
    ['OTEL_NODE_DISABLED_INSTRUMENTATIONS', disabled],
  ] as const) {
    const unknown = names.filter((n) => !known.has(n));
    if (unknown.length) warn(`${variable} names unknown instrumentations ${unknown.join(', ')}; they are ignored (known: ${[...known].join(', ')}).`);
  }
  return CATALOGUE.filter((e) => {
    if (disabled.includes(e.name)) return false;
    if (enabled) return enabled.includes(e.name);
    return !e.offByDefault;
  });
}
