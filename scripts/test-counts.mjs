// Prints the suite's closing counts line, `N passed, N failed[, N skipped]` with nothing before it
// (CI's reader did not take the `Tests: ` prefix), from vitest's
// JSON result (test-results/vitest.json, written by the json reporter in vitest.config.mts; plus
// test-results/vitest-line3.json, the second pass on the 3.x line, when .ci/run made one), and
// exits non-zero when a test or a test file failed, or when the run itself did (argv[2]: its exit
// status). Plain JavaScript, not built: it must answer even when the TypeScript build failed.
import { readFileSync } from 'node:fs';

const runStatus = Number(process.argv[2] ?? 0);
let result;
try {
  result = JSON.parse(readFileSync(new URL('../test-results/vitest.json', import.meta.url), 'utf8'));
  let line3;
  try {
    line3 = JSON.parse(readFileSync(new URL('../test-results/vitest-line3.json', import.meta.url), 'utf8'));
  } catch {
    // no second pass
  }
  if (line3) {
    for (const key of ['numPassedTests', 'numFailedTests', 'numPendingTests', 'numTodoTests']) result[key] += line3[key];
    result.testResults = [...result.testResults, ...line3.testResults];
    console.log(`of which on the 3.x line (Node 24): ${line3.numPassedTests} passing, ${line3.numFailedTests} failing`);
  }
} catch (error) {
  console.log(`no test result (${error.code ?? error.message}): the build or the runner stopped before any test ran`);
  console.log('0 passed, 1 failed');
  process.exit(runStatus || 1);
}
// A file that fails before its tests run (an import error, a hook) has no test in it: one failure.
const brokenFiles = result.testResults.filter((file) => file.status === 'failed' && file.assertionResults.length === 0);
for (const file of brokenFiles) console.log(`failed before any test ran: ${file.name}: ${(file.message ?? '').split('\n')[0]}`);
const passed = result.numPassedTests;
const failed = result.numFailedTests + brokenFiles.length;
const skipped = result.numPendingTests + result.numTodoTests;
if (failed === 0 && runStatus !== 0) console.log(`npm test exited ${runStatus} with no test failed (type check, coverage floor or the runner itself)`);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 ? 1 : runStatus);
