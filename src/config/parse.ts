// Turns one raw environment value into a typed value, or explains why it cannot.
// Never throws: a bad value yields { error } and the caller falls back to the default.

import type { Kind } from './settings';

export type Parsed = boolean | number | string | string[] | Record<string, string>;
export type ParseResult = { value: Parsed } | { error: string };

export function parseValue(kind: Kind, raw: string): ParseResult {
  const text = raw.trim();
  switch (kind.type) {
    case 'boolean': {
      const lower = text.toLowerCase();
      if (lower === 'true') return { value: true };
      if (lower === 'false') return { value: false };
      return { error: 'is not true or false' };
    }
    case 'integer': {
      if (!/^\d+$/.test(text)) return { error: `is not a whole number ≥ ${kind.min}` };
      const n = Number(text);
      if (!Number.isSafeInteger(n) || n < kind.min) return { error: `is not a whole number ≥ ${kind.min}` };
      return { value: n };
    }
    case 'enum': {
      const lower = text.toLowerCase();
      if (kind.values.includes(lower)) return { value: lower };
      return { error: `is not one of ${kind.values.join(', ')}` };
    }
    case 'enumList': {
      const items = splitList(text.toLowerCase());
      const unknown = items.filter((i) => !kind.values.includes(i));
      if (items.length === 0) return { error: 'is empty' };
      if (unknown.length) return { error: `has unknown entries ${unknown.join(', ')} (known: ${kind.values.join(', ')})` };
      return { value: items };
    }
    case 'list':
      return { value: splitList(text) };
    case 'keyValue':
      return parseKeyValues(text);
    case 'url': {
      try {
        const url = new URL(text);
        if (url.protocol !== 'http:' && url.protocol !== 'https:') return { error: 'is not an http:// or https:// URL' };
        return { value: text };
      } catch {
        return { error: 'is not a URL' };
      }
    }
    case 'string':
    case 'path':
      return text === '' ? { error: 'is empty' } : { value: text };
  }
}

export function splitList(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** W3C-baggage-like `k=v,k2=v2` with percent-encoded values, as OTEL_RESOURCE_ATTRIBUTES and *_HEADERS use. */
function parseKeyValues(text: string): ParseResult {
  const out: Record<string, string> = {};
  const bad: string[] = [];
  for (const pair of splitList(text)) {
    const eq = pair.indexOf('=');
    const key = eq > 0 ? pair.slice(0, eq).trim() : '';
    if (!key) {
      bad.push(pair);
      continue;
    }
    try {
      out[decodeURIComponent(key)] = decodeURIComponent(pair.slice(eq + 1).trim());
    } catch {
      bad.push(pair);
    }
  }
  if (bad.length) return { error: `has malformed entries (expected key=value): ${bad.length}` };
  return { value: out };
}
