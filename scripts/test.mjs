#!/usr/bin/env node
// `npm test`: every check the project has, in one run, ending with one summary line
// `summary: N passed, N failed, N skipped`. Steps: lint, typecheck, build, unit + integration
// (Vitest), end-to-end (Playwright: Chromium against `minerva serve`, and the Electron suite,
// which skips with a printed reason when the Electron runtime is absent).
// Every step runs even when an earlier one failed, so one run shows everything that is wrong.
// Set MINERVA_SOAK=1 (npm run test:soak) for the long trials.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'test-results');
mkdirSync(out, { recursive: true });
const bin = (name) => join(root, 'node_modules', '.bin', name);
const env = { ...process.env, FORCE_COLOR: process.env.CI ? '0' : process.env.FORCE_COLOR, ELECTRON_SKIP_BINARY_DOWNLOAD: '1' };

const totals = { passed: 0, failed: 0, skipped: 0 };
const failedSteps = [];
const timings = [];

function step(name, command, args, extraEnv = {}) {
  const started = Date.now();
  console.log(`\n=== ${name} ===`);
  const res = spawnSync(command, args, { cwd: root, stdio: 'inherit', env: { ...env, ...extraEnv } });
  const seconds = (Date.now() - started) / 1000;
  timings.push(`${name} ${seconds.toFixed(0)} s`);
  const ok = res.status === 0;
  if (!ok) failedSteps.push(name);
  return ok;
}

/** A check that is not a test file still counts once, so a red lint shows in the summary. */
function countCheck(ok) {
  if (ok) totals.passed += 1;
  else totals.failed += 1;
}

countCheck(step('lint', bin('eslint'), ['.', '--max-warnings', '0']));
countCheck(step('typecheck', 'npm', ['run', '--silent', 'typecheck']));
const built = step('build', process.execPath, ['scripts/build.mjs']);
countCheck(built);

const vitestJson = join(out, 'vitest.json');
rmSync(vitestJson, { force: true });
step('unit and integration tests (vitest)', bin('vitest'), ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${vitestJson}`]);
if (existsSync(vitestJson)) {
  const report = JSON.parse(readFileSync(vitestJson, 'utf8'));
  totals.passed += report.numPassedTests ?? 0;
  totals.failed += (report.numFailedTests ?? 0) + (report.numFailedTestSuites ?? 0);
  totals.skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
} else {
  totals.failed += 1;
}

const pwJson = join(out, 'playwright.json');
rmSync(pwJson, { force: true });
if (built) {
  step('end-to-end tests (playwright)', bin('playwright'), ['test', '--reporter=list,json'], { PLAYWRIGHT_JSON_OUTPUT_NAME: pwJson });
  if (existsSync(pwJson)) {
    const stats = JSON.parse(readFileSync(pwJson, 'utf8')).stats ?? {};
    totals.passed += (stats.expected ?? 0) + (stats.flaky ?? 0);
    totals.failed += stats.unexpected ?? 0;
    totals.skipped += stats.skipped ?? 0;
  } else {
    totals.failed += 1;
  }
} else {
  totals.failed += 1;
}

console.log(`\nSteps: ${timings.join(', ')}`);
if (failedSteps.length > 0) console.log(`Failed steps: ${failedSteps.join(', ')}`);
console.log(`summary: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(failedSteps.length > 0 || totals.failed > 0 ? 1 : 0);
