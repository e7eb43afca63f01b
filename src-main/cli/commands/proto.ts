import * as nodeCrypto from 'node:crypto';
import * as dcap from '@phala/dcap-qvl';
import type { Command } from 'commander';
import { AppError } from '@shared/contract/errors';
import { useNodeCryptoAesGcm } from '@shared/protocol/aes-gcm';
import { isAllowed, parseAllowedList } from '@shared/protocol/allowed-list';
import { publicKeyFromHotkey, signCheckpoint, verifyCheckpoint, type CheckpointProfile } from '@shared/protocol/checkpoint-message';
import { eip191Recover, eip191Sign, evmAddressOf, parsePrivateKey } from '@shared/protocol/eip191';
import { fromBase64, fromHex, toHex } from '@shared/protocol/encoding';
import { decryptEnvelope, encryptEnvelope, isJsonObject } from '@shared/protocol/envelope';
import { deriveScopedKey } from '@shared/protocol/hkdf-keys';
import { eoaFromMnemonic, eoaPublicKey, pairFromSeed, pairFromSuri, solanaFromMnemonic, walletFromSeed, type SubstrateScheme } from '@shared/protocol/identities';
import { signAction, verifyAction } from '@shared/protocol/miner-action';
import { signMinerRequest } from '@shared/protocol/miner-request';
import { certificateHash, certPub, signSmp, verifySmp, walletKeyFromB58 } from '@shared/protocol/smp';
import { verifyTdxQuote, type TeePolicy } from '@shared/protocol/tee';
import type { CliCommand, CliIo } from '../command-registry';

/**
 * `minerva proto <verb>`: the protocol library of PROTOCOLS.md §2–§6 as a scriptable tool for
 * operators and interoperability debugging. Each verb reads ONE JSON object from stdin and writes
 * ONE JSON object to stdout; exit 0 on success, 1 with `{"error":{"code","message"}}` on stderr otherwise.
 * Secrets (seeds, keys, SURIs) come only through stdin, never argv. Unknown fields are refused so
 * that a misspelt field never silently falls back to a default.
 */
type Input = Record<string, unknown>;

interface Verb {
  summary: string;
  required: readonly string[];
  optional?: readonly string[];
  run(input: Input): unknown;
}

const bad = (message: string): AppError => new AppError('VALIDATION', message);

function str(input: Input, key: string): string {
  const v = input[key];
  if (typeof v !== 'string') throw bad(`"${key}" must be a string.`);
  return v;
}
function optStr(input: Input, key: string): string | undefined {
  return input[key] === undefined || input[key] === null ? undefined : str(input, key);
}
function int(input: Input, key: string): number {
  const v = input[key];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw bad(`"${key}" must be a non-negative integer.`);
  return v;
}
function optInt(input: Input, key: string): number | undefined {
  return input[key] === undefined || input[key] === null ? undefined : int(input, key);
}
function optBool(input: Input, key: string): boolean | undefined {
  const v = input[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw bad(`"${key}" must be true or false.`);
  return v;
}
function body(input: Input): Uint8Array {
  return fromBase64(input.body_b64 ?? '', 'body_b64');
}
function scheme(input: Input): SubstrateScheme {
  const s = input.scheme ?? 'ed25519';
  if (s !== 'ed25519' && s !== 'sr25519') throw bad('"scheme" must be "ed25519" or "sr25519".');
  return s;
}
function profile(input: Input): CheckpointProfile {
  return { scheme: scheme(input), padded: optBool(input, 'padded') ?? true };
}
function key32(input: Input, field: string): Uint8Array {
  return fromHex(input[field], field, { length: 32, prefix: 'optional', lowercase: false, code: 'KEY_INVALID' });
}
function stringList(input: Input, key: string): string[] | undefined {
  const v = input[key];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw bad(`"${key}" must be a list of strings.`);
  return v;
}
function teePolicy(value: unknown): TeePolicy {
  if (value === undefined || value === null) return {};
  if (!isJsonObject(value)) throw bad('"policy" must be an object.');
  const known = ['allowed_statuses', 'allow_sw_hardening', 'expected_report_data', 'mr_td', 'rt_mr0', 'rt_mr1', 'rt_mr2'];
  for (const k of Object.keys(value)) if (!known.includes(k)) throw bad(`Unknown policy field "${k}" (known: ${known.join(', ')}).`);
  return {
    allowedStatuses: stringList(value, 'allowed_statuses'),
    allowSwHardening: optBool(value, 'allow_sw_hardening'),
    expectedReportData: optStr(value, 'expected_report_data'),
    mrTd: stringList(value, 'mr_td'),
    rtMr0: stringList(value, 'rt_mr0'),
    rtMr1: stringList(value, 'rt_mr1'),
    rtMr2: stringList(value, 'rt_mr2'),
  };
}
function verdictOf(fn: () => unknown): { valid: boolean; reason?: string; message?: string } {
  try {
    fn();
    return { valid: true };
  } catch (error) {
    if (error instanceof AppError) return { valid: false, reason: error.code, message: error.message };
    throw error;
  }
}

const verbs: Record<string, Verb> = {
  'derive-key': {
    summary: 'K(scope) of §2.1 from a seed: {seed_hex, scope} → {key_hex}',
    required: ['seed_hex', 'scope'],
    run: (i) => ({ key_hex: toHex(deriveScopedKey(fromHex(i.seed_hex, 'seed_hex', { prefix: 'optional', lowercase: false, code: 'KEY_INVALID' }), str(i, 'scope'))) }),
  },
  'envelope-encrypt': {
    summary: 'encrypted v2 envelope of §2.4: {key_hex, scope_type, session_id, task_id?, key_version, data} → envelope',
    required: ['key_hex', 'scope_type', 'session_id', 'key_version', 'data'],
    optional: ['task_id'],
    run: (i) => {
      const scopeType = str(i, 'scope_type');
      if (scopeType !== 'session' && scopeType !== 'task') throw bad('"scope_type" must be "session" or "task".');
      if (!isJsonObject(i.data)) throw bad('"data" must be a JSON object.');
      return encryptEnvelope(key32(i, 'key_hex'), { scopeType: scopeType, sessionId: int(i, 'session_id'), taskId: optInt(i, 'task_id') ?? null, keyVersion: str(i, 'key_version') }, i.data);
    },
  },
  'envelope-decrypt': {
    summary: 'decrypt a v2 envelope: {key_hex, envelope} → {data}',
    required: ['key_hex', 'envelope'],
    run: async (i) => ({ data: await decryptEnvelope(key32(i, 'key_hex'), i.envelope) }),
  },
  'allowed-list-check': {
    summary: 'ENCRYPTION_ALLOWED_LIST decision of §2.2: {list, address, session_id, task_id?} → {allowed}',
    required: ['list', 'address', 'session_id'],
    optional: ['task_id'],
    run: (i) => ({ allowed: isAllowed(parseAllowedList(str(i, 'list')), str(i, 'address'), int(i, 'session_id'), optInt(i, 'task_id')) }),
  },
  'eip191-sign': {
    summary: 'personal_sign: {private_key_hex, message} → {address, signature}',
    required: ['private_key_hex', 'message'],
    run: (i) => eip191Sign(parsePrivateKey(i.private_key_hex), str(i, 'message')),
  },
  'eip191-recover': {
    summary: 'recover the EIP-191 signer: {message, signature} → {address}',
    required: ['message', 'signature'],
    run: (i) => ({ address: eip191Recover(str(i, 'message'), i.signature) }),
  },
  'miner-request-sign': {
    summary: 'signed miner request headers of §2.6: {private_key_hex, method, path, body_b64, nonce?, timestamp?} → {headers}',
    required: ['private_key_hex', 'method', 'path'],
    optional: ['body_b64', 'nonce', 'timestamp'],
    run: (i) => ({ headers: signMinerRequest(parsePrivateKey(i.private_key_hex), { method: str(i, 'method'), path: str(i, 'path'), body: body(i), nonce: optStr(i, 'nonce'), timestamp: optStr(i, 'timestamp') }) }),
  },
  'submit-sign': {
    summary: 'checkpoint message of §3: {scheme, secret_seed_hex, expert_group, checkpoint_url, block_number, padded?} → message',
    required: ['secret_seed_hex', 'expert_group', 'checkpoint_url', 'block_number'],
    optional: ['scheme', 'padded'],
    run: (i) => {
      const p = profile(i);
      const group = i.expert_group;
      if (typeof group !== 'string' && typeof group !== 'number') throw bad('"expert_group" must be a string or an integer.');
      return signCheckpoint(pairFromSeed(key32(i, 'secret_seed_hex'), p.scheme), { expert_group: group, checkpoint_url: str(i, 'checkpoint_url'), block_number: int(i, 'block_number') }, p);
    },
  },
  'submit-verify': {
    summary: 'verify a checkpoint message (key from the hotkey SS58): {message, scheme, padded?, current_block?, block_window?} → {valid, reason?}',
    required: ['message'],
    optional: ['scheme', 'padded', 'current_block', 'block_window'],
    run: (i) => {
      const v = verifyCheckpoint(i.message, { profile: profile(i), publicKeyOf: publicKeyFromHotkey, currentBlock: optInt(i, 'current_block'), blockWindow: optInt(i, 'block_window') });
      return v.valid ? { valid: true } : { valid: false, reason: v.reason, message: v.message };
    },
  },
  'action-sign': {
    summary: 'signed miner action headers of §4: {suri, prefix?, netuid, slug, method, path, body_b64, nonce?, timestamp?} → {headers}',
    required: ['suri', 'netuid', 'slug', 'method', 'path'],
    optional: ['prefix', 'body_b64', 'nonce', 'timestamp'],
    run: (i) => ({
      headers: signAction(pairFromSuri(str(i, 'suri'), 'sr25519'), { prefix: optStr(i, 'prefix'), netuid: int(i, 'netuid'), slug: str(i, 'slug'), method: str(i, 'method'), path: str(i, 'path'), body: body(i) }, { nonce: optStr(i, 'nonce'), timestamp: optStr(i, 'timestamp') }),
    }),
  },
  'action-verify': {
    summary: 'verify miner action headers (key from X-Hotkey): {headers, prefix?, netuid, slug, method, path, body_b64, now} → {valid, reason?}',
    required: ['headers', 'netuid', 'slug', 'method', 'path', 'now'],
    optional: ['prefix', 'body_b64'],
    run: (i) => {
      if (!isJsonObject(i.headers)) throw bad('"headers" must be an object.');
      const headers = i.headers as Record<string, string>;
      const target = { prefix: optStr(i, 'prefix'), netuid: int(i, 'netuid'), slug: str(i, 'slug'), method: str(i, 'method'), path: str(i, 'path'), body: body(i) };
      const now = int(i, 'now');
      return verdictOf(() => verifyAction(headers, target, { nowSeconds: now }));
    },
  },
  'smp-sign': {
    summary: 'Secure Model Protocol message of §5: {wallet_secret_hex, cert_pem, hotkey, model_id?} → {message, container}',
    required: ['wallet_secret_hex', 'cert_pem', 'hotkey'],
    optional: ['model_id'],
    run: (i) => signSmp(key32(i, 'wallet_secret_hex'), { cert_pub: certPub(str(i, 'cert_pem')), hotkey: str(i, 'hotkey'), model_id: optStr(i, 'model_id') }),
  },
  'smp-verify': {
    summary: 'verify an SMP container (runner if expected_model_id is given): {container, expected_wallet_b58, peer_cert_pem, expected_hotkey, expected_model_id?} → {valid, reason?}',
    required: ['container', 'expected_wallet_b58', 'peer_cert_pem', 'expected_hotkey'],
    optional: ['expected_model_id'],
    run: (i) => {
      const modelId = optStr(i, 'expected_model_id');
      const v = verifySmp(i.container, {
        role: modelId === undefined ? 'coordinator' : 'runner',
        expectedWallet: walletKeyFromB58(i.expected_wallet_b58),
        peerCert: str(i, 'peer_cert_pem'),
        expectedHotkey: str(i, 'expected_hotkey'),
        expectedModelId: modelId,
      });
      return v.valid ? { valid: true } : { valid: false, reason: v.reason, message: v.message };
    },
  },
  'cert-hash': {
    summary: 'SHA-256 of a certificate\'s SPKI DER (§5 pinned): {cert_pem} → {sha256_spki_hex}',
    required: ['cert_pem'],
    run: (i) => ({ sha256_spki_hex: certificateHash(str(i, 'cert_pem')) }),
  },
  'tee-verify': {
    summary: 'TDX quote check of §6: {quote_hex, collateral, now, policy?} → {ok, status, failures[]}',
    required: ['quote_hex', 'collateral', 'now'],
    optional: ['policy'],
    run: (i) => {
      const quote = fromHex(i.quote_hex, 'quote_hex', { prefix: 'optional', lowercase: false });
      const r = verifyTdxQuote(dcap, quote, i.collateral, int(i, 'now'), teePolicy(i.policy));
      return { ok: r.ok, status: r.status, failures: r.failures, advisory_ids: r.advisoryIds, mr_td: r.mrTd, report_data: r.reportData };
    },
  },
  address: {
    summary: 'address of a key: {suri, type: sr25519|ed25519|ethereum|solana} → {address, public_key_hex}',
    required: ['suri', 'type'],
    run: (i) => {
      const suri = str(i, 'suri');
      const type = str(i, 'type');
      const isHex32 = /^(0x)?[0-9a-fA-F]{64}$/.test(suri);
      switch (type) {
        case 'sr25519':
        case 'ed25519': {
          const pair = pairFromSuri(suri, type);
          return { address: pair.address, public_key_hex: toHex(pair.publicKey) };
        }
        case 'ethereum': {
          const privateKey = isHex32 ? parsePrivateKey(suri) : eoaFromMnemonic(suri).privateKey;
          return { address: evmAddressOf(privateKey), public_key_hex: toHex(eoaPublicKey(privateKey)) };
        }
        case 'solana': {
          const w = isHex32 ? walletFromSeed(fromHex(suri, 'suri', { prefix: 'optional', lowercase: false, length: 32 })) : solanaFromMnemonic(suri);
          return { address: w.address, public_key_hex: toHex(w.publicKey) };
        }
        default:
          throw bad('"type" must be sr25519, ed25519, ethereum or solana.');
      }
    },
  },
};

export const PROTO_VERBS: readonly string[] = Object.keys(verbs);

/** The fields a verb accepts (required first), for help texts and tests. */
export function protoVerbFields(verb: string): { required: readonly string[]; optional: readonly string[] } | undefined {
  const spec = verbs[verb];
  return spec === undefined ? undefined : { required: spec.required, optional: spec.optional ?? [] };
}

/** Runs one verb on the JSON text of stdin; returns the JSON object to print or throws AppError. */
export async function runProtoVerb(verb: string, stdinText: string): Promise<unknown> {
  const spec = verbs[verb];
  if (spec === undefined) throw bad(`Unknown verb "${verb}".`);
  let input: unknown;
  try {
    input = JSON.parse(stdinText);
  } catch {
    throw bad('stdin must hold one JSON object.');
  }
  if (!isJsonObject(input)) throw bad('stdin must hold one JSON object.');
  const allowed = new Set([...spec.required, ...(spec.optional ?? [])]);
  for (const k of Object.keys(input)) if (!allowed.has(k)) throw bad(`Unknown field "${k}" for ${verb} (fields: ${[...allowed].join(', ')}).`);
  for (const k of spec.required) if (input[k] === undefined) throw bad(`Missing field "${k}" for ${verb}.`);
  useNodeCryptoAesGcm(nodeCrypto);
  return await spec.run(input);
}

async function action(io: CliIo, verb: string): Promise<void> {
  try {
    const out = await runProtoVerb(verb, await io.readStdin());
    io.stdout(`${JSON.stringify(out)}\n`);
  } catch (error) {
    const e = error instanceof AppError ? error : new AppError('INTERNAL', error instanceof Error ? error.message : String(error));
    io.stderr(`${JSON.stringify({ error: { code: e.code, message: e.message } })}\n`);
    io.setExitCode(1);
  }
}

export const protoCommand: CliCommand = {
  name: 'proto',
  register(program: Command, io: CliIo) {
    const proto = program
      .command('proto')
      .description('protocol tool (PROTOCOLS.md §2–§6): one JSON object on stdin → one JSON object on stdout');
    for (const [verb, spec] of Object.entries(verbs)) {
      proto
        .command(verb)
        .description(spec.summary)
        .action(() => action(io, verb));
    }
  },
};
