// Prints the README's table of environment variables from the settings table (`npm run docs:tables`);
// test/unit/readme.test.ts fails when the README's copy is out of date.

import { SETTINGS } from '../src/config/settings';

export function envTable(): string {
  const rows = SETTINGS.map((s) => `| \`${s.name}\` | ${s.default === undefined ? '' : `\`${s.default}\``} | ${s.description}${s.secret ? ' (secret)' : ''} |`);
  return ['| Variable | Default | Meaning |', '| --- | --- | --- |', ...rows].join('\n');
}

if (require.main === module) console.log(envTable());
