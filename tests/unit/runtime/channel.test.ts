import { describe, expect, it } from 'vitest';
import { ModelChannel, createDemuxer } from '@core/runtime/channel';

function harness(max = 1024, timeout = 200) {
  const sent: Array<{ id: number; method: string; params: unknown }> = [];
  const stray: string[] = [];
  const fatal: string[] = [];
  const timeouts: string[] = [];
  const channel = new ModelChannel({
    maxMessageBytes: max,
    defaultTimeoutMs: timeout,
    send: (line) => sent.push(JSON.parse(line) as { id: number; method: string; params: unknown }),
    onStray: (l) => stray.push(l),
    onFatal: (e) => fatal.push(e.code),
    onTimeout: (m) => timeouts.push(m),
  });
  const reply = (obj: unknown) => channel.feed(Buffer.from(`${JSON.stringify(obj)}\n`));
  return { channel, sent, stray, fatal, timeouts, reply };
}

describe('ModelChannel (JSON lines, PROTOCOLS §7)', () => {
  it('matches replies to requests by id, in any order', async () => {
    const h = harness();
    const a = h.channel.request('infer', { prompt: 'a' });
    const b = h.channel.request('health');
    expect(h.sent.map((s) => s.method)).toEqual(['infer', 'health']);
    h.reply({ id: h.sent[1]!.id, result: { ok: true } });
    h.reply({ id: h.sent[0]!.id, result: 'done' });
    await expect(a).resolves.toBe('done');
    await expect(b).resolves.toEqual({ ok: true });
    expect(h.channel.inFlight).toBe(0);
  });

  it('reassembles replies split across chunks and several replies in one chunk', async () => {
    const h = harness();
    const a = h.channel.request('health');
    const b = h.channel.request('health');
    const text = `{"id":${h.sent[0]!.id},"result":1}\n{"id":${h.sent[1]!.id},"res`;
    h.channel.feed(Buffer.from(text));
    h.channel.feed(Buffer.from('ult":2}\r\n'));
    await expect(a).resolves.toBe(1);
    await expect(b).resolves.toBe(2);
  });

  it('turns an error reply into MODEL_FAILED with the model code', async () => {
    const h = harness();
    const a = h.channel.request('infer');
    h.reply({ id: h.sent[0]!.id, error: { code: 'INVALID_ARGUMENT', message: 'prompt missing' } });
    await expect(a).rejects.toMatchObject({ code: 'MODEL_FAILED', message: expect.stringContaining('INVALID_ARGUMENT: prompt missing') as unknown });
  });

  it('times out a call, reports it, and ignores the late reply', async () => {
    const h = harness(1024, 30);
    const a = h.channel.request('infer', null, { timeoutMs: 20 });
    await expect(a).rejects.toMatchObject({ code: 'TIMEOUT' });
    expect(h.timeouts).toEqual(['infer']);
    h.reply({ id: h.sent[0]!.id, result: 'late' });
    expect(h.stray).toEqual([]);
  });

  it('refuses an oversized request before sending it', async () => {
    const h = harness(100);
    await expect(h.channel.request('infer', { prompt: 'x'.repeat(200) })).rejects.toMatchObject({ code: 'TOO_LARGE' });
    expect(h.sent).toEqual([]);
  });

  it('drops an oversized reply, fails what is in flight, and resynchronises at the next line', async () => {
    const h = harness(100);
    const a = h.channel.request('infer');
    h.channel.feed(Buffer.from('{"id":1,"result":"'));
    h.channel.feed(Buffer.from('y'.repeat(150)));
    await expect(a).rejects.toMatchObject({ code: 'TOO_LARGE' });
    expect(h.fatal).toEqual(['TOO_LARGE']);
    h.channel.feed(Buffer.from('yyy"}\n'));
    const b = h.channel.request('health');
    h.reply({ id: h.sent[1]!.id, result: 'ok' });
    await expect(b).resolves.toBe('ok');
    expect(h.fatal).toEqual(['TOO_LARGE']);
  });

  it('keeps non-protocol output as stray lines', () => {
    const h = harness();
    h.channel.feed(Buffer.from('hello from a model that prints\n{"no":"id"}\n'));
    expect(h.stray).toEqual(['hello from a model that prints', '{"no":"id"}']);
  });

  it('rejects everything in flight on close, and new calls after', async () => {
    const h = harness();
    const a = h.channel.request('infer');
    h.channel.close(new Error('gone'));
    await expect(a).rejects.toThrow('gone');
    await expect(h.channel.request('health')).rejects.toThrow('gone');
  });

  it('cancels with an abort signal', async () => {
    const h = harness();
    const ctl = new AbortController();
    const a = h.channel.request('infer', null, { signal: ctl.signal });
    ctl.abort();
    await expect(a).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });
});

describe('createDemuxer (Docker attach frames)', () => {
  const frame = (type: number, text: string) => {
    const body = Buffer.from(text);
    const h = Buffer.alloc(8);
    h[0] = type;
    h.writeUInt32BE(body.length, 4);
    return Buffer.concat([h, body]);
  };

  it('splits stdout and stderr, whatever the chunking', () => {
    const all = Buffer.concat([frame(1, 'out-1\n'), frame(2, 'err-1\n'), frame(1, 'out-2\n')]);
    for (const size of [1, 3, 7, 8, 9, all.length]) {
      const out: string[] = [];
      const err: string[] = [];
      const demux = createDemuxer((b) => out.push(b.toString()), (b) => err.push(b.toString()), () => undefined);
      for (let i = 0; i < all.length; i += size) demux(all.subarray(i, i + size));
      expect(out.join('')).toBe('out-1\nout-2\n');
      expect(err.join('')).toBe('err-1\n');
    }
  });

  it('fails loudly on a stream that is not multiplexed', () => {
    const errors: string[] = [];
    const demux = createDemuxer(() => undefined, () => undefined, (e) => errors.push(e.message));
    demux(Buffer.from('{"id":1}\n plain text'));
    expect(errors).toHaveLength(1);
  });
});
