import { randomUUID } from 'node:crypto';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type Docker from 'dockerode';
import { buildBundleImage, readBundle, type BuiltBundleImage } from '@core/runtime/bundle';
import { currentOwner, type ContainerOwner } from '@core/runtime/container-spec';
import { connectEngine, type Engine } from '@core/runtime/engine';
import { removeManagedContainer } from '@core/runtime/managed';
import { LABEL, MANAGED_FILTER } from '@core/runtime/types';

export const REPO = fileURLToPath(new URL('../../../', import.meta.url));
export const MODELS = join(REPO, 'resources', 'models');
export const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

export interface DockerForTests {
  skip: boolean;
  engine: Engine;
  docker: Docker;
}

/**
 * The runtime tests need a running Docker Engine (no mocks). Without one they fail with the
 * engine's own fix-it text — unless MINERVA_SKIP_DOCKER=1, which skips them with a printed reason.
 */
export async function dockerForTests(): Promise<DockerForTests> {
  const engine = connectEngine();
  const status = await engine.probe();
  if (status.state === 'running') return { skip: false, engine, docker: engine.docker };
  const reason = `Docker Engine is not available (${status.state}): ${status.problem ?? ''} ${status.fix ?? ''}`;
  if (process.env.MINERVA_SKIP_DOCKER === '1') {
    console.warn(`[runtime tests] SKIPPED because MINERVA_SKIP_DOCKER=1. ${reason}`);
    return { skip: true, engine, docker: undefined as unknown as Docker };
  }
  throw new Error(`${reason}\nThe runtime tests need a real engine (scripts/setup-test-env.sh starts one). Set MINERVA_SKIP_DOCKER=1 to skip them explicitly.`);
}

/** A scope of our own: every container this test creates carries it, and cleanup removes only those. */
export function testScope(): { scope: string; owner: ContainerOwner; dir: string; cleanup: (docker: Docker) => Promise<void> } {
  const scope = `test-${randomUUID().slice(0, 12)}`;
  const dir = mkdtempSync(join(tmpdir(), 'minerva-runtime-'));
  return {
    scope,
    owner: currentOwner(scope, randomUUID()),
    dir,
    async cleanup(docker: Docker) {
      const list = await docker.listContainers({ all: true, filters: { label: [MANAGED_FILTER, `${LABEL.scope}=${scope}`] } });
      for (const c of list) await removeManagedContainer(docker, c.Id, { stopTimeoutS: 0 });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Copies a bundle (a demo, or a test fixture plus the shared serve.cjs) into `dir`. */
export function stageBundle(source: string, dir: string): string {
  const dest = join(dir, `bundle-${randomUUID().slice(0, 8)}`);
  cpSync(source, dest, { recursive: true });
  cpSync(join(MODELS, 'text-ngram', 'serve.cjs'), join(dest, 'serve.cjs'));
  return dest;
}

const built = new Map<string, Promise<BuiltBundleImage>>();

/** Builds a demo bundle (resources/models/<name>) or a fixture once per test file. */
export function buildImage(docker: Docker, source: string): Promise<BuiltBundleImage> {
  let p = built.get(source);
  if (!p) {
    p = (async () => {
      const dir = mkdtempSync(join(tmpdir(), 'minerva-bundle-'));
      try {
        return await buildBundleImage(docker, await readBundle(stageBundle(source, dir)));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    })();
    built.set(source, p);
  }
  return p;
}

export const demo = (name: 'text-ngram' | 'ts-predictor' | 'trainer') => join(MODELS, name);
export const fixture = (name: string) => join(FIXTURES, name);
