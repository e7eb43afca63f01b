/**
 * The diagnostics bundle from a real core that did real work: a wallet created, the practice
 * inference competition joined, a completion answered by the real container. The log file also
 * gets lines as an older version (before a redaction rule) might have written them, one for every
 * kind of secret the log redactor knows. Not one of those secrets may be anywhere in the zip,
 * and what a supporter needs (versions, the job, health, flows, the log lines) must be there.
 */
import { appendFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { strFromU8, unzipSync } from 'fflate';
import { afterEach, describe, expect, it } from 'vitest';
import type { DiagnosticsBundle } from '@shared/contract/diagnostics';
import { call, completion, joinInference, PASSWORD, startParties, untilJobs, type Parties } from '../inference/harness';

let parties: Parties | undefined;
afterEach(async () => {
  await parties?.stop();
  parties = undefined;
});

function unzip(bundle: DiagnosticsBundle): Record<string, string> {
  const files = unzipSync(Buffer.from(bundle.zipBase64, 'base64'));
  return Object.fromEntries(Object.entries(files).map(([name, data]) => [name, strFromU8(data)]));
}

describe('diagnostics bundle', () => {
  it('holds versions, health, the job and the log — and none of the secrets, even ones an old log line kept', async () => {
    parties = await startParties();
    const { core, network, token, dataDir } = parties;
    await joinInference(core);
    const { mnemonic } = await call<{ mnemonic: string }>(core, 'vault.revealMnemonic', { password: PASSWORD });
    const prompt = 'The lighthouse keeper counted seventeen gulls at dawn';
    const answer = await completion(network.endpoints.router!, token, prompt);
    expect(answer.status).toBe(200);
    const output = String(answer.json.output);
    await untilJobs(core, (jobs) => jobs.some((j) => j.state === 'reported'));

    // One line per secret kind the redactor knows, written straight into the file (as if by a
    // version without that rule): patterns in a plain line, key names in a JSON line.
    const seedHex = 'ab'.repeat(32);
    const tokenB64 = Buffer.from('a session token that must stay on this machine!!').toString('base64');
    const bearer = 'eyJhbGciOiJIUzI1NiJ9.c2VjcmV0';
    const queryCredential = 'q-cred-7781';
    const homePath = join(homedir(), 'private-notes');
    const byName: Record<string, string> = {
      password: 'pw-hunter2', passphrase: 'pp-hunter3', secret: 'sec-221', mnemonic: 'mn-short', seed: 'seed-short', private: 'priv-1',
      privkey: 'pk-2', token: 'tok-3', authorization: 'authz-4', cookie: 'cookie-5', payload_enc_key: 'pek-6', signature: 'sig-7',
      prompt: 'prompt-8', plaintext: 'plain-9', output: 'out-10', key: 'key-11', key_hex: 'keyhex-12', sk: 'sk-13',
    };
    const log = join(dataDir, 'logs', 'minerva.log');
    appendFileSync(log, `old line: phrase ${mnemonic} seed ${seedHex} token ${tokenB64} auth Bearer ${bearer} url http://h/x?token=${queryCredential} file ${homePath}\n`);
    appendFileSync(log, `${JSON.stringify({ seq: 1, ts: new Date().toISOString(), level: 'info', scope: 'old', msg: "fields of an old version", fields: byName })}\n`);
    appendFileSync(log, `${JSON.stringify({ seq: 2, ts: new Date().toISOString(), level: 'info', scope: 'old', msg: 'router said', fields: { apiToken: token, header: `Bearer ${token}` } })}\n`);

    const bundle = await call<DiagnosticsBundle>(core, 'diagnostics.export');
    expect(bundle.fileName).toMatch(/^minerva-diagnostics-\d{8}-\d{6}\.zip$/);
    const files = unzip(bundle);
    expect(Object.keys(files).sort()).toEqual(['README.txt', 'activity.json', 'engine.json', 'health.json', 'logs/minerva.log', 'settings.json', 'versions.json']);
    expect(bundle.files.map((f) => f.name).sort()).toEqual(Object.keys(files).sort());

    const all = Object.values(files).join('\n');
    const secrets: [string, string][] = [
      ['the recovery phrase', mnemonic],
      ['its first twelve words', mnemonic.split(' ').slice(0, 12).join(' ')],
      ['the password', PASSWORD],
      ['a hex seed', seedHex],
      ['a base64 token', tokenB64],
      ['a bearer token', bearer],
      ['a credential in a query string', queryCredential],
      ['the home folder', homedir() + '/'],
      ['the decrypted prompt', prompt],
      ['the model output', output],
      ['the router API token', token],
      ...Object.entries(byName).map(([k, v]): [string, string] => [`a field named ${k}`, v]),
    ];
    for (const [what, secret] of secrets) {
      expect(secret.length, what).toBeGreaterThan(3);
      expect(all.includes(secret), `${what} is in the bundle`).toBe(false);
    }
    expect(files['logs/minerva.log']).toContain('[redacted:mnemonic]');
    expect(files['logs/minerva.log']).toContain('~/private-notes');

    // What a supporter needs is there.
    const versions = JSON.parse(files['versions.json']!) as { app: { version: string }; runtime: { node: string } };
    expect(versions.app.version).toBe('test');
    expect(versions.runtime.node).toBe(process.versions.node);
    const health = JSON.parse(files['health.json']!) as { app: { checks: { id: string }[] }; wallet: { unlocked?: boolean } };
    expect(health.app.checks.map((c) => c.id)).toContain('database');
    const activity = JSON.parse(files['activity.json']!) as { jobs: { jobs: { state: string; competitionId: string }[] }; flows: unknown[]; competitions: { competitions: unknown[] } };
    expect(activity.jobs.jobs.some((j) => j.state === 'reported' && j.competitionId === 'practice-inference')).toBe(true);
    expect(activity.competitions.competitions.length).toBeGreaterThan(0);
    expect(Array.isArray(activity.flows)).toBe(true);
    const engine = JSON.parse(files['engine.json']!) as { docker: { engine: { state: string } } };
    expect(engine.docker.engine.state).toBe('running');
    const settings = JSON.parse(files['settings.json']!) as { settings: { autoLockMinutes: number }; configuration: Record<string, { source: string }> };
    expect(settings.settings.autoLockMinutes).toBe(15);
    expect(Object.keys(settings.configuration).length).toBeGreaterThan(3);
    expect(files['logs/minerva.log']).toContain('core started');
  });
});
