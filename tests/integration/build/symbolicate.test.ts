/**
 * Stack traces from the minified production bundle are mapped back to TypeScript: a real error
 * thrown inside dist/node/cli.cjs (through bin/minerva.cjs's loader), its stack piped through
 * scripts/symbolicate.mjs, names src-main/cli/main.ts; and MINERVA_SOURCE_MAPS=1 maps it live.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../helpers/serve-process';

// runCli(null) fails inside commander, called from src-main/cli/main.ts's runCli.
const THROW = `
const bundle = ${JSON.stringify(join(REPO_ROOT, 'dist/node/cli.cjs'))};
const live = process.env.MINERVA_SOURCE_MAPS === '1';
if (live) process.setSourceMapsEnabled(true);
const cli = live ? require(bundle) : require(${JSON.stringify(join(REPO_ROOT, 'bin/code-cache.cjs'))}).loadWithCodeCache(bundle);
cli.runCli(null).catch((error) => process.stdout.write(error.stack));
`;

function stackOf(env: NodeJS.ProcessEnv = {}): string {
  const run = spawnSync(process.execPath, ['-e', THROW], { encoding: 'utf8', env: { ...process.env, ...env } });
  expect(run.status, run.stderr).toBe(0);
  return run.stdout;
}

describe('stack traces of the minified build', () => {
  it('point into the bundle, keep the function names, and symbolicate to the TypeScript source', () => {
    const minified = stackOf();
    expect(minified).toMatch(/at Object\.runCli \(.*dist[/\\]node[/\\]cli\.cjs:\d+:\d+\)/);
    const mapped = spawnSync(process.execPath, [join(REPO_ROOT, 'scripts/symbolicate.mjs')], { input: minified, encoding: 'utf8' });
    expect(mapped.status, mapped.stderr).toBe(0);
    expect(mapped.stdout).toMatch(/at Object\.runCli \(src-main\/cli\/main\.ts:\d+:\d+\)/);
    expect(mapped.stdout).toMatch(/node_modules\/commander\/lib\/command\.js:\d+:\d+/);
    expect(mapped.stdout).not.toContain('cli.cjs:');
  });

  it('maps live with MINERVA_SOURCE_MAPS=1', () => {
    expect(stackOf({ MINERVA_SOURCE_MAPS: '1' })).toMatch(/at Object\.runCli \(.*src-main[/\\]cli[/\\]main\.ts:\d+:\d+\)/);
  });

  it('leaves a position alone when no map is known for it', () => {
    const text = 'Error: x\n    at f (/opt/Minerva/resources/app.asar/dist/node/other.cjs:1:99)\n';
    const mapped = spawnSync(process.execPath, [join(REPO_ROOT, 'scripts/symbolicate.mjs')], { input: text, encoding: 'utf8' });
    expect(mapped.stdout).toBe(text);
  });
});
