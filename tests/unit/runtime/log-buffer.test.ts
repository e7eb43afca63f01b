import { describe, expect, it } from 'vitest';
import { LogBuffer } from '@core/runtime/log-buffer';

describe('LogBuffer: bounded and redacted model logs', () => {
  it('splits lines across chunks and redacts before storing', () => {
    const seen: string[] = [];
    const b = new LogBuffer({ redact: (s) => s.replace(/sk-\w+/g, '[redacted]') });
    b.onLine((l) => seen.push(l.text));
    b.write(Buffer.from('loading key sk-'));
    b.write(Buffer.from('abc123 done\nsecond'));
    expect(b.tail().map((l) => l.text)).toEqual(['loading key [redacted] done']);
    b.flush();
    expect(seen).toEqual(['loading key [redacted] done', 'second']);
  });

  it('drops the oldest lines past the line and byte budgets, and caps each line', () => {
    const b = new LogBuffer({ redact: (s) => s, maxLines: 3, maxBytes: 10_000, maxLineBytes: 10 });
    for (let i = 0; i < 5; i += 1) b.append(`line ${i}`, 'stderr');
    expect(b.tail().map((l) => l.text)).toEqual(['line 2', 'line 3', 'line 4']);
    expect(b.dropped).toBe(2);
    b.append('x'.repeat(50), 'stderr');
    expect(b.tail(1)[0]!.text).toBe(`${'x'.repeat(10)}… [40 more characters cut]`);
    const small = new LogBuffer({ redact: (s) => s, maxBytes: 20 });
    for (let i = 0; i < 10; i += 1) small.append('0123456789', 'stderr');
    expect(small.tail().length).toBe(2);
  });

  it('withholds a line when the redactor fails', () => {
    const b = new LogBuffer({
      redact: () => {
        throw new Error('boom');
      },
    });
    b.append('secret', 'stderr');
    expect(b.tail()[0]!.text).toMatch(/withheld/);
  });

  it('tails after a sequence number', () => {
    const b = new LogBuffer({ redact: (s) => s });
    b.write('a\nb\nc\n');
    expect(b.tail(10, 1).map((l) => l.text)).toEqual(['b', 'c']);
  });
});
