import { mkdtempSync, readFileSync, rmSync, writeFileSync, symlinkSync, cpSync } from 'node:fs';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readBundle } from '@core/runtime/bundle';

const MODELS = fileURLToPath(new URL('../../../resources/models/', import.meta.url));
const require = createRequire(import.meta.url);
const load = <T>(p: string) => require(join(MODELS, p)) as T;
type Model = Record<string, (p?: unknown) => unknown>;
const create = (name: string) => load<{ createModel(o: unknown): Model }>(`${name}/model.cjs`).createModel({ dir: join(MODELS, name), outDir: null });

describe('demo bundles', () => {
  it.each(['text-ngram', 'ts-predictor', 'trainer'])('%s is a valid bundle with the shared serve.cjs', async (name) => {
    const bundle = await readBundle(join(MODELS, name));
    expect(bundle.manifest.name).toBe(name);
    expect(readFileSync(join(MODELS, name, 'serve.cjs'), 'utf8')).toBe(readFileSync(join(MODELS, 'text-ngram', 'serve.cjs'), 'utf8'));
    expect(bundle.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('text-ngram continues a prompt deterministically and scores perplexity', () => {
    const m = create('text-ngram');
    const a = m.infer!({ prompt: 'The lighthouse stood', maxTokens: 20, seed: 9 }) as { completion: string; tokens: number; promptPerplexity: number };
    const b = m.infer!({ prompt: 'The lighthouse stood', maxTokens: 20, seed: 9 }) as { completion: string };
    expect(a.completion).toBe(b.completion);
    expect(a.tokens).toBeGreaterThan(3);
    // a phrase from the corpus is far less surprising than shuffled words
    const seen = (m.infer!({ prompt: 'the river turned twice before it reached the sea', maxTokens: 1 }) as { promptPerplexity: number }).promptPerplexity;
    const odd = (m.infer!({ prompt: 'sea the before twice reached turned it river the', maxTokens: 1 }) as { promptPerplexity: number }).promptPerplexity;
    expect(seen).toBeLessThan(odd / 5);
    expect(() => m.infer!({})).toThrow(/prompt/);
  });

  it('ts-predictor follows setup/tick/predict and refuses calls before setup', () => {
    const m = create('ts-predictor');
    expect(() => m.call!({ method: 'tick', args: [1] })).toThrow(/setup first/);
    m.setup!({ className: 'TrackerBase' });
    expect(m.setup!({})).toMatchObject({ alreadySetUp: true });
    for (let t = 0; t < 100; t += 1) m.call!({ method: 'tick', args: [{ a: Math.sin(t / 4) * 10 + t, b: 5 }] });
    const p = m.call!({ method: 'predict', args: [{ horizon: 3 }] }) as { predictions: Record<string, { mean: number[]; method: string }> };
    expect(p.predictions.b!.mean[2]).toBeCloseTo(5, 3);
    expect(Math.abs(p.predictions.a!.mean[0]! - (Math.sin(100 / 4) * 10 + 100))).toBeLessThan(3);
    m.reset!();
    expect(m.health!()).toMatchObject({ setUp: false, ticks: 0 });
  });

  it('trainer checkpoints round-trip and held-out loss falls with training', () => {
    const ck = load<{ decodeCheckpoint(b: Buffer): { step: number; vocab: string }; heldOutLoss(c: unknown, t: string): number }>('trainer/checkpoint.cjs');
    const held = readFileSync(join(MODELS, 'heldout', 'trainer-heldout.txt'), 'utf8');
    const m = create('trainer');
    m.setup!({ kwargs: { seed: 2 } });
    const lossAt = () => ck.heldOutLoss(ck.decodeCheckpoint(Buffer.from((m.call!({ method: 'checkpoint' }) as { bytesB64: string }).bytesB64, 'base64')), held);
    const before = lossAt();
    m.call!({ method: 'train', args: [{ steps: 200 }] });
    const after = lossAt();
    expect(after).toBeLessThan(before - 1);
    expect((m.call!({ method: 'evaluate', args: [{ text: held }] }) as { loss: number }).loss).toBeCloseTo(after, 4);
    const bytes = Buffer.from((m.call!({ method: 'checkpoint' }) as { bytesB64: string }).bytesB64, 'base64');
    const bad = Buffer.from(bytes);
    bad.writeUInt32LE(bad.readUInt32LE(8) + 4, 8);
    expect(() => ck.decodeCheckpoint(bad)).toThrow();
    expect(() => ck.decodeCheckpoint(bytes.subarray(0, bytes.length - 4))).toThrow(/size/);
  });

  it('serve.cjs speaks JSON lines: ids, errors, unknown methods, async results, exit on EOF', async () => {
    const { serve } = load<{ serve: (m: unknown, io: unknown) => void }>('text-ngram/serve.cjs');
    const input = new PassThrough();
    const output = new PassThrough();
    let exited!: (code: number) => void;
    const exit = new Promise<number>((resolve) => (exited = resolve));
    serve(
      {
        health: () => ({ ok: true }),
        infer: async (p: { fail?: boolean }) => {
          await Promise.resolve();
          if (p.fail) throw Object.assign(new Error('no'), { code: 'BAD' });
          return 'yes';
        },
      },
      { input, output, exit: exited },
    );
    const chunks: Buffer[] = [];
    output.on('data', (b: Buffer) => chunks.push(b));
    input.write('{"id":1,"method":"infer","params":{}}\n{"id":2,"method":"infer","params":{"fail":true}}\n{"id":3,"method":"setup"}\nnot json\n{"id":4,"method":"health"}\n');
    input.end();
    expect(await exit).toBe(0);
    output.end();
    await once(output, 'end');
    const lines = Buffer.concat(chunks).toString().split('\n').filter(Boolean).map((l) => JSON.parse(l) as unknown);
    expect(lines).toEqual([
      { id: 1, result: 'yes' },
      { id: 2, error: { code: 'BAD', message: 'no' } },
      { id: 3, error: { code: 'UNKNOWN_METHOD', message: 'this model does not answer "setup"' } },
      { id: null, error: { code: 'BAD_REQUEST', message: 'the request is not JSON' } },
      { id: 4, result: { ok: true } },
    ]);
  });
});

describe('bundle folder checks', () => {
  it('refuses links, a missing entry and bad manifests', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'minerva-bundle-'));
    try {
      const b = join(dir, 'b');
      cpSync(join(MODELS, 'ts-predictor'), b, { recursive: true });
      symlinkSync('/etc/passwd', join(b, 'passwd'));
      await expect(readBundle(b)).rejects.toThrow(/symbolic link/);
      rmSync(join(b, 'passwd'));
      const manifest = JSON.parse(readFileSync(join(b, 'minerva-model.json'), 'utf8')) as Record<string, unknown>;
      writeFileSync(join(b, 'minerva-model.json'), JSON.stringify({ ...manifest, entry: 'missing.cjs' }));
      await expect(readBundle(b)).rejects.toThrow(/entry script missing\.cjs is missing/);
      writeFileSync(join(b, 'minerva-model.json'), JSON.stringify({ ...manifest, entry: '../escape.cjs' }));
      await expect(readBundle(b)).rejects.toThrow(/entry/);
      writeFileSync(join(b, 'minerva-model.json'), JSON.stringify({ ...manifest, extra: true }));
      await expect(readBundle(b)).rejects.toThrow(/invalid/);
      writeFileSync(join(b, 'minerva-model.json'), JSON.stringify({ ...manifest, name: 'Bad Name' }));
      await expect(readBundle(b)).rejects.toThrow(/name/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
