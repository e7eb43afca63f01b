/**
 * Every word of jargon the app uses, explained once, in one place (issue 16 part 8). `Term`
 * shows a definition as an accessible tooltip; `glossSegments` finds the terms in a text that
 * comes from core (warnings, details, rules) so that those are explained too.
 */
export interface GlossaryEntry {
  /** How the term is written in a definition's heading. */
  term: string;
  definition: string;
  /** The words that name it in running text (case-insensitive, whole words). */
  match: RegExp;
}

export const GLOSSARY = {
  coldkey: {
    term: 'Coldkey',
    definition: 'Your main key: it owns your stake and your rewards and is the only key that can move funds. Keep it offline when you can; mining never needs it.',
    match: /\bcoldkeys?\b/iu,
  },
  hotkey: {
    term: 'Hotkey',
    definition: 'A working key that signs your miner’s registrations and actions. It cannot move funds, so it can stay on this computer; rotate it if it may have leaked.',
    match: /\bhotkeys?\b/iu,
  },
  smp: {
    term: 'SMP',
    definition: 'The model-runner protocol of Crunch networks: how a coordinator calls your runner (tick, predict). Your runner’s SMP hotkey identifies it to coordinators.',
    match: /\bSMP\b/u,
  },
  sr25519: {
    term: 'sr25519',
    definition: 'A signature scheme (Schnorr signatures on Ristretto) used by Substrate and Bittensor wallets — the kind of key your coldkey and hotkey are.',
    match: /\bsr25519\b/iu,
  },
  ed25519: {
    term: 'ed25519',
    definition: 'A widely used signature scheme (EdDSA on Curve25519). Minerva uses it for checkpoint signing and for the model runner’s wallet.',
    match: /\bed25519\b/iu,
  },
  secp256k1: {
    term: 'secp256k1',
    definition: 'The elliptic curve of Ethereum and Bitcoin keys. Your Ethereum account (the address private-inference routers know you by) is a secp256k1 key.',
    match: /\bsecp256k1\b/iu,
  },
  eoa: {
    term: 'EOA',
    definition: 'Externally owned account: an Ethereum address controlled by a private key (not a contract). Routers allow jobs to your EOA’s address.',
    match: /\bEOA\b/u,
  },
  lease: {
    term: 'Lease',
    definition: 'A job is lent to one miner for a limited time. If the miner does not answer or renew before the lease runs out, the router gives the job to another miner.',
    match: /\bleases?\b/iu,
  },
  mtls: {
    term: 'mTLS',
    definition: 'Mutual TLS: both sides of an encrypted connection show a certificate, so your runner knows it is talking to a coordinator of the network, and the coordinator knows it is your runner.',
    match: /\b(mTLS|mutual TLS)\b/iu,
  },
  san: {
    term: 'SAN',
    definition: 'Subject Alternative Name: the name a TLS certificate is valid for. Coordinators check that your runner’s certificate carries the name the network gave it.',
    match: /\bSAN\b/u,
  },
  p50: {
    term: 'p50',
    definition: 'The median: half of the measured times were shorter than this, half longer.',
    match: /\bp50\b/iu,
  },
  p99: {
    term: 'p99',
    definition: 'The 99th percentile: 99 out of 100 measured times were shorter than this — the slow tail.',
    match: /\bp99\b/iu,
  },
  urn: {
    term: 'URN',
    definition: 'A uniform resource name: a stable name for a stored item (here an encrypted payload), not its address. The router stores prompts and results under URNs.',
    match: /\bURNs?\b/u,
  },
  epoch: {
    term: 'Epoch',
    definition: 'A fixed number of chain blocks after which rewards are paid out. Its length in time is its block count times the block time (shown next to it).',
    match: /\bepochs?\b/iu,
  },
} satisfies Record<string, GlossaryEntry>;

export type GlossaryId = keyof typeof GLOSSARY;

export type GlossSegment = string | { id: GlossaryId; text: string };

/**
 * A text cut into plain parts and glossary terms: the first occurrence of each term is marked
 * (every occurrence would put a tab stop on every other word of a paragraph).
 */
export function glossSegments(text: string, skip: readonly GlossaryId[] = []): GlossSegment[] {
  const found: { id: GlossaryId; index: number; text: string }[] = [];
  for (const [id, entry] of Object.entries(GLOSSARY) as [GlossaryId, GlossaryEntry][]) {
    if (skip.includes(id)) continue;
    const m = entry.match.exec(text);
    if (m) found.push({ id, index: m.index, text: m[0] });
  }
  found.sort((a, b) => a.index - b.index);
  const segments: GlossSegment[] = [];
  let at = 0;
  for (const f of found) {
    if (f.index < at) continue; // overlapping another term
    if (f.index > at) segments.push(text.slice(at, f.index));
    segments.push({ id: f.id, text: f.text });
    at = f.index + f.text.length;
  }
  if (at < text.length) segments.push(text.slice(at));
  return segments;
}
