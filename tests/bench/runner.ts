/**
 * Runner benchmark: authenticated unary calls per second and p50/p99 latency through the runner's
 * gRPC server (real mTLS, certificates from a real CA, a trivial in-process model), next to the
 * very same server with coordinator authentication disabled (the baseline), in the same run,
 * interleaved so that load from other processes hits both alike. Two authenticated modes: v1
 * (`x-auth-*` on every call: ed25519 over the message, SPKI binding, chain facts) and pinned
 * (the client certificate's hash against the chain's). Every response carries `x-server-auth-*`
 * in all modes.
 *
 * Run: `npm run bench -- runner` (or `npx tsx tests/bench/runner.ts`). Ends with one line:
 * `runner: v1 <n> calls/s = <ratio>x baseline (target >= 0.8x)`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { RunnerAuthPolicy } from '@shared/contract/runner';
import { walletFromSeed } from '@shared/protocol/identities';
import { certificateHash, certPub, signSmp, smpMetadata } from '@shared/protocol/smp';
import { runnerDnsName } from '@shared/protocol/smp.proto';
import { encodeVariant } from '@shared/protocol/smp-variant';
import { authenticateCoordinator, type CoordinatorFacts } from '@core/runner/auth';
import { smpServices } from '@core/runner/smp-proto';
import { SmpServer } from '@core/runner/smp-server';
import { CertificateAuthority, generateRsaKeyPair, rsa2048Spki } from '@devnet/coordinator/ca';
import { judge, showSpread, spread } from './_rounds';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const MODEL = 'bench-model';
const DOMAIN = 'practice.local';

const pct = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;

interface Result {
  calls: number;
  seconds: number;
  latencies: number[];
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'minerva-bench-runner-'));
  const servers: SmpServer[] = [];
  const clients: grpc.Client[] = [];
  try {
    const ca = await CertificateAuthority.open(dir);
    const server = generateRsaKeyPair();
    const serverCert = await ca.issue({ spki: rsa2048Spki(server.publicKeyPem), commonName: runnerDnsName(MODEL, DOMAIN), usage: 'server', sanDns: [runnerDnsName(MODEL, DOMAIN)], daysValid: 1 });
    const client = generateRsaKeyPair();
    const clientCert = await ca.issue({ spki: rsa2048Spki(client.publicKeyPem), commonName: 'bench-coordinator', usage: 'client', sanDns: [], daysValid: 1 });
    const coordinatorSeed = new Uint8Array(32).fill(5);
    const coordinatorHotkey = walletFromSeed(new Uint8Array(32).fill(6)).address;
    const facts: CoordinatorFacts = { walletB58: walletFromSeed(coordinatorSeed).address, hotkey: coordinatorHotkey, certHashes: [certificateHash(clientCert.pem), '0'.repeat(64)] };
    const runnerContainer = signSmp(new Uint8Array(32).fill(7), { cert_pub: certPub(serverCert.pem), hotkey: walletFromSeed(new Uint8Array(32).fill(8)).address, model_id: MODEL }).container;
    const v1 = smpMetadata(signSmp(coordinatorSeed, { cert_pub: certPub(clientCert.pem), hotkey: coordinatorHotkey }).container, 'coordinator');

    const start = async (policy: RunnerAuthPolicy | null): Promise<number> => {
      const s = new SmpServer({
        caPem: ca.certificatePem,
        certPem: serverCert.pem,
        keyPem: server.privateKeyPem,
        host: '127.0.0.1',
        port: 0,
        className: 'TrackerBase',
        // A trivial model: answers at once, so the figures are the server's and the check's.
        model: { setup: () => Promise.resolve(null), call: (input) => Promise.resolve(input.args[0] ?? null), reset: () => Promise.resolve(null) },
        authenticate: policy === null ? null : (peer, get) => authenticateCoordinator(policy, facts, peer, get),
        serverMetadata: () => smpMetadata(runnerContainer, 'runner'),
      });
      servers.push(s);
      return s.start();
    };
    const ports = { baseline: await start(null), v1: await start('either'), pinned: await start('pinned') };

    const connect = (port: number): grpc.Client => {
      const creds = grpc.credentials.createSsl(Buffer.from(ca.certificatePem), Buffer.from(client.privateKeyPem), Buffer.from(clientCert.pem));
      const name = runnerDnsName(MODEL, DOMAIN);
      const c = new (smpServices().DynamicSubclassService)(`127.0.0.1:${port}`, creds, { 'grpc.ssl_target_name_override': name, 'grpc.default_authority': name });
      clients.push(c);
      return c;
    };
    const unary = (c: grpc.Client, method: string, request: unknown, md: grpc.Metadata): Promise<void> =>
      new Promise((resolve, reject) => {
        (c as unknown as Record<string, (r: unknown, m: grpc.Metadata, cb: (e: grpc.ServiceError | null) => void) => void>)[method]!(request, md, (e) => (e ? reject(e) : resolve()));
      });
    const metadata = (withV1: boolean): grpc.Metadata => {
      const md = new grpc.Metadata();
      if (withV1) for (const [k, v] of Object.entries(v1)) md.set(k, v);
      return md;
    };
    const request = { methodName: 'echo', methodArguments: [{ position: 1, data: encodeVariant(1.5) }] };

    const run = async (c: grpc.Client, withV1: boolean): Promise<Result> => {
      const latencies: number[] = [];
      const until = performance.now() + SECONDS * 1000;
      const t0 = performance.now();
      const worker = async (): Promise<void> => {
        while (performance.now() < until) {
          const s = performance.now();
          await unary(c, 'Call', request, metadata(withV1));
          latencies.push(performance.now() - s);
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
      return { calls: latencies.length, seconds: (performance.now() - t0) / 1000, latencies };
    };

    const modes = [
      { name: 'baseline', client: connect(ports.baseline), v1: true },
      { name: 'v1', client: connect(ports.v1), v1: true },
      { name: 'pinned', client: connect(ports.pinned), v1: false },
    ] as const;
    for (const m of modes) {
      await unary(m.client, 'Setup', { className: 'TrackerBase' }, metadata(m.v1));
      await run(m.client, m.v1); // warm-up: handshake, JIT
    }
    console.log(`runner bench: ${ROUNDS} rounds × ${SECONDS} s per mode, ${CONCURRENCY} calls in flight, ${cpus().length} CPUs, load ${loadavg()[0]?.toFixed(2)}`);
    const totals = new Map<string, Result>(modes.map((m) => [m.name, { calls: 0, seconds: 0, latencies: [] }]));
    const perRound = new Map<string, number[]>(modes.map((m) => [m.name, []]));
    for (let r = 0; r < ROUNDS; r += 1) {
      // Alternating order round by round, so that no mode always runs first.
      for (const m of r % 2 === 0 ? modes : [...modes].reverse()) {
        const res = await run(m.client, m.v1);
        perRound.get(m.name)!.push(res.calls / res.seconds);
        const t = totals.get(m.name)!;
        t.calls += res.calls;
        t.seconds += res.seconds;
        t.latencies.push(...res.latencies);
      }
    }
    const rate = (name: string): number => totals.get(name)!.calls / totals.get(name)!.seconds;
    for (const m of modes) {
      const t = totals.get(m.name)!;
      const sorted = [...t.latencies].sort((a, b) => a - b);
      console.log(`${m.name.padEnd(8)} ${rate(m.name).toFixed(0).padStart(6)} calls/s  p50 ${pct(sorted, 0.5).toFixed(3)} ms  p99 ${pct(sorted, 0.99).toFixed(3)} ms  (${t.calls} calls)${m.name === 'baseline' ? '' : `  = ${(rate(m.name) / rate('baseline')).toFixed(2)}x baseline`}`);
    }
    const ratios = (name: string): number[] => perRound.get(name)!.map((x, i) => x / perRound.get('baseline')![i]!);
    console.log(`pinned: ${showSpread(spread(ratios('pinned')))}x baseline per round`);
    judge({
      bench: 'runner',
      figure: `v1 ${rate('v1').toFixed(0)} calls/s`,
      ratios: ratios('v1'),
      target: '>= 0.8x',
      meets: (m) => m >= 0.8,
      also: `pinned ${spread(ratios('pinned')).median.toFixed(2)}x`,
    });
  } finally {
    for (const c of clients) c.close();
    for (const s of servers) await s.stop(1000);
    rmSync(dir, { recursive: true, force: true });
  }
}

void main();
