#!/usr/bin/env node
// The `otel-preload` command (package.json "bin"): `otel-preload doctor [--json]`.

import { doctor, renderReport } from './doctor';

async function main(argv: string[]): Promise<number> {
  const [command, ...flags] = argv;
  if (command !== 'doctor') {
    process.stderr.write('usage: otel-preload doctor [--json]\n');
    return 2;
  }
  const report = await doctor();
  process.stdout.write(flags.includes('--json') ? JSON.stringify(report, null, 2) + '\n' : renderReport(report) + '\n');
  return report.ok ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (err) => {
    process.stderr.write(`otel-preload doctor failed: ${err?.stack ?? err}\n`);
    process.exitCode = 2;
  },
);
