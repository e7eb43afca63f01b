import { describe, expect, it } from 'vitest';
import { GLOSSARY, glossSegments } from '../../../src-renderer/components/glossary';

describe('the glossary', () => {
  it('marks the first occurrence of each term in a text, whole words only, and keeps the text intact', () => {
    const text = 'Your coldkey owns your rewards; the hotkey signs. Another hotkey, a hotkeys list, coldkeyish.';
    const segments = glossSegments(text);
    expect(segments.map((s) => (typeof s === 'string' ? s : s.text)).join('')).toBe(text);
    expect(segments.filter((s) => typeof s !== 'string')).toEqual([
      { id: 'coldkey', text: 'coldkey' },
      { id: 'hotkey', text: 'hotkey' },
    ]);
  });

  it('finds case-sensitive acronyms only as written, and mutual TLS in words', () => {
    const marked = (t: string) => glossSegments(t).flatMap((s) => (typeof s === 'string' ? [] : [s.id]));
    expect(marked('The SMP hotkey and the EOA, p50 and p99, stored under a URN.')).toEqual(['smp', 'hotkey', 'eoa', 'p50', 'p99', 'urn']);
    expect(marked('a san francisco eoa smp')).toEqual([]);
    expect(marked('Coordinators connect over mutual TLS.')).toEqual(['mtls']);
    expect(marked('100 PRAC per epoch of 30 blocks')).toEqual(['epoch']);
    expect(marked('sr25519, ed25519 and secp256k1 keys')).toEqual(['sr25519', 'ed25519', 'secp256k1']);
  });

  it('skips the terms it is told to, and explains every term of the issue in words', () => {
    expect(glossSegments('the hotkey', ['hotkey'])).toEqual(['the hotkey']);
    for (const entry of Object.values(GLOSSARY)) expect(entry.definition.length).toBeGreaterThan(40);
    expect(Object.keys(GLOSSARY).sort()).toEqual(['coldkey', 'ed25519', 'eoa', 'epoch', 'hotkey', 'lease', 'mtls', 'p50', 'p99', 'san', 'secp256k1', 'smp', 'sr25519', 'urn']);
  });
});
