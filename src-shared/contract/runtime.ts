import { z } from 'zod';
import { event, method } from './define';

/**
 * The model runtime (src-main/core/runtime): Docker engine status and how to fix it, images
 * with their pinned digests, model containers with their state, resource use, isolation report
 * and (redacted) logs, and TEE checks per runner. Nothing here carries model inputs or outputs.
 */

export type EngineState = 'running' | 'not-installed' | 'stopped' | 'permission-denied' | 'unreachable' | 'misconfigured';

export interface EngineStatus {
  state: EngineState;
  endpoint: string;
  remote: boolean;
  version: string | null;
  apiVersion: string | null;
  os: string | null;
  arch: string | null;
  cpus: number | null;
  memoryBytes: number | null;
  gpu: { nvidiaRuntime: boolean; hostGpus: number | null; available: boolean };
  disk: { path: string; freeBytes: number; totalBytes: number } | null;
  problem: string | null;
  fix: string | null;
  checkedAt: string;
}

export interface RuntimeStatus {
  engine: EngineStatus;
  developerMode: boolean;
  lastReap: { at: string; removed: Array<{ id: string; name: string; reason: string }>; kept: number } | null;
}

export interface RuntimeImage {
  id: string;
  tags: string[];
  references: string[];
  sizeBytes: number;
  createdAt: string;
  bundle: { name: string; version: string; sha256: string } | null;
  base: boolean;
  pinned: {
    reference: string;
    source: 'built' | 'pulled';
    imageId: string;
    pinnedAt: string;
    bundleSha256: string | null;
    manifest: { name: string; version: string; kind: 'inference' | 'runner' | 'trainer'; description: string } | null;
  } | null;
}

export type ModelState = 'idle' | 'starting' | 'ready' | 'restarting' | 'stopping' | 'stopped' | 'failed';

export interface RuntimeContainer {
  id: string;
  name: string;
  image: string;
  /** Docker's state (running, exited, …). */
  state: string;
  status: string;
  createdAt: string;
  job: string | null;
  runner: string | null;
  /** The model using it, when this app instance runs it. */
  model: { key: string; state: ModelState; restarts: number; lastFailure: string | null; keepWarm: boolean } | null;
  usage: { memoryBytes: number | null; memoryLimitBytes: number | null; cpuPercent: number | null; pids: number | null } | null;
}

export interface IsolationReport {
  containerId: string;
  name: string;
  image: string;
  state: string;
  labels: { job: string | null; runner: string | null };
  network: { mode: string; disabled: boolean; interfaces: string[] };
  rootfs: { readOnly: boolean };
  mounts: Array<{ type: string; source: string | null; destination: string; readWrite: boolean }>;
  tmpfs: Array<{ path: string; options: string }>;
  capabilities: { dropped: string[]; added: string[]; privileged: boolean; noNewPrivileges: boolean };
  user: string;
  limits: { memoryBytes: number; memorySwapBytes: number; cpus: number; pids: number };
  gpu: { requested: boolean; devices: string[] };
  logDriver: string;
  verdict: { ok: boolean; findings: string[] };
}

export interface ModelLogLine {
  seq: number;
  at: string;
  stream: 'stderr' | 'stdout' | 'runtime';
  text: string;
}

export type TeeCheckName = 'collateral' | 'quote' | 'tcb_status' | 'report_data' | 'mr_td' | 'rt_mr0' | 'rt_mr1' | 'rt_mr2';

export interface TeeRecord {
  runnerId: string;
  at: string;
  ok: boolean;
  tcbStatus: string;
  advisoryIds: string[];
  checks: Array<{ name: TeeCheckName; outcome: 'passed' | 'failed' | 'skipped'; message: string }>;
  mrTd: string | null;
  reportData: string | null;
  collateral: { fetchedAt: string; nextUpdate: string | null; fromCache: boolean } | null;
}

export const DEMO_MODELS = ['text-ngram', 'ts-predictor', 'trainer'] as const;
export type DemoModel = (typeof DEMO_MODELS)[number];

const none = z.object({}).strict();
const containerId = z.string().regex(/^[0-9a-f]{12,64}$/, 'a container id');
const modelKey = z.string().min(1).max(200);
const hex = (bytes: number) => z.string().regex(new RegExp(`^(0x)?[0-9a-fA-F]{${bytes * 2}}$`));

export const runtimeMethods = {
  'runtime.status': method<RuntimeStatus>()({ input: none, summary: 'Docker engine status (with how to fix it), developer mode and the last reap.' }),
  'runtime.checkEngine': method<RuntimeStatus>()({ input: none, summary: 'Ask the Docker engine again now.' }),
  'runtime.images': method<{ images: RuntimeImage[] }>()({ input: none, summary: 'Images Minerva built or pulled, with pinned digests.' }),
  'runtime.containers': method<{ containers: RuntimeContainer[] }>()({ input: none, summary: 'Model containers of this app (managed label only), with state and resource use.' }),
  'runtime.isolation': method<IsolationReport>()({ input: z.object({ containerId }).strict(), summary: 'Isolation report of one container, read back from docker inspect.' }),
  'runtime.logs': method<{ lines: ModelLogLine[] }>()({
    input: z.object({ key: modelKey, afterSeq: z.number().int().min(0).default(0), limit: z.number().int().min(1).max(500).default(200) }).strict(),
    summary: "A model's recent stderr, redacted and bounded.",
  }),
  'runtime.startDemo': method<{ key: string; reference: string; containerId: string | null; state: ModelState }>()({
    input: z.object({ name: z.enum(DEMO_MODELS) }).strict(),
    summary: 'Build (if needed) and start a demo model bundle in a locked-down container.',
  }),
  'runtime.pullImage': method<{ reference: string; imageId: string }>()({
    input: z.object({ reference: z.string().min(1).max(512) }).strict(),
    summary: 'Pull an image by its pinned reference (name:tag@sha256:…), with progress events.',
  }),
  'runtime.stopModel': method<{ ok: true }>()({ input: z.object({ key: modelKey }).strict(), summary: 'Stop a model and remove its container.' }),
  'runtime.reap': method<{ removed: number; kept: number }>()({ input: none, summary: 'Remove containers left behind by a crashed Minerva now.' }),
  'runtime.teeChecks': method<{ records: TeeRecord[] }>()({ input: none, summary: 'The latest TEE check of each runner, check by check.' }),
  'runtime.checkTee': method<TeeRecord>()({
    input: z
      .object({
        runnerId: z.string().min(1).max(200),
        /** The runner's TDX quote, base64. */
        quoteB64: z.string().min(1).max(200_000),
        /** Collateral JSON to use instead of fetching it (offline checks). */
        collateral: z.record(z.string(), z.unknown()).optional(),
        /** Check as of this time (ISO), e.g. inside an offline collateral's validity. */
        at: z.iso.datetime().optional(),
        expectedReportData: hex(64).optional(),
        mrTd: z.array(hex(48)).max(64).optional(),
        allowSwHardening: z.boolean().default(false),
      })
      .strict(),
    summary: "Verify a runner's TEE attestation (PROTOCOLS §6) and keep the result.",
  }),
} as const;

export const runtimeEvents = {
  'runtime.modelChanged': event<{ key: string; state: ModelState }>('A model container changed state (starting, ready, restarting, failed, stopped).'),
  'runtime.pullProgressed': event<{ reference: string; status: string; layer: string | null; current: number | null; total: number | null }>('Progress of an image pull.'),
  'runtime.modelLogged': event<{ key: string; line: ModelLogLine }>("A line of a model's stderr (redacted) or a runtime note about it."),
};
