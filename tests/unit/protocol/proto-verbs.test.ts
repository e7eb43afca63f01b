import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AppError } from '@shared/contract/errors';
import { PROTO_VERBS, protoVerbFields, runProtoVerb } from '../../../src-main/cli/commands/proto';
import { smpContainerFromMetadata } from '@shared/protocol/smp';
import { ss58Decode, pairFromSuri } from '@shared/protocol/identities';

const FIELDS = [
  'seed_hex', 'scope', 'key_hex', 'scope_type', 'session_id', 'task_id', 'key_version', 'data', 'envelope', 'list', 'address',
  'private_key_hex', 'message', 'signature', 'method', 'path', 'body_b64', 'nonce', 'timestamp', 'scheme', 'secret_seed_hex',
  'expert_group', 'checkpoint_url', 'block_number', 'padded', 'current_block', 'block_window', 'suri', 'prefix', 'netuid', 'slug',
  'headers', 'now', 'wallet_secret_hex', 'cert_pem', 'hotkey', 'model_id', 'container', 'expected_wallet_b58', 'peer_cert_pem',
  'expected_hotkey', 'expected_model_id', 'quote_hex', 'collateral', 'policy', 'type',
];

const value = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom('00'.repeat(32), 'ab'.repeat(33), '101', '101:9001', 'session', 'task', 'v1', 'ed25519', 'sr25519', 'GET', '/x', '', 'AAAA', '0x' + '1'.repeat(130), 0, 1, -1, 2 ** 60, null, true),
);

describe('minerva proto verbs throw only AppError, whatever the input', () => {
  it.each(PROTO_VERBS.map((v) => [v]))('%s', async (verb) => {
    const spec = protoVerbFields(verb)!;
    // Mostly the verb's own fields (all required present, so parsing goes deep), sometimes anything.
    const own = fc.record(
      Object.fromEntries([...spec.required.map((k) => [k, value]), ...spec.optional.map((k) => [k, value])]) as Record<string, fc.Arbitrary<unknown>>,
      { requiredKeys: [...spec.required] },
    );
    await fc.assert(
      fc.asyncProperty(fc.oneof({ arbitrary: own, weight: 4 }, fc.dictionary(fc.constantFrom(...FIELDS), value, { maxKeys: 8 }), fc.jsonValue({ maxDepth: 1 })), async (input) => {
        try {
          await runProtoVerb(verb, JSON.stringify(input));
        } catch (e) {
          if (!(e instanceof AppError)) throw new Error(`${verb}: non-AppError ${String(e)} for ${JSON.stringify(input)}`);
        }
      }),
      { numRuns: 60 },
    );
  });
  it('unknown verb and non-JSON stdin', async () => {
    await expect(runProtoVerb('nope', '{}')).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(runProtoVerb('derive-key', '{')).rejects.toMatchObject({ code: 'VALIDATION' });
  });
});

describe('more parsers never crash', () => {
  it('SMP metadata, SS58, SURIs', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom('x-auth-message', 'x-auth-signature', 'x-auth-wallet-pubkey'), fc.array(fc.anything(), { maxLength: 3 })), fc.string(), (md, s) => {
        for (const fn of [() => smpContainerFromMetadata((k) => md[k] ?? [], 'coordinator'), () => ss58Decode(s), () => pairFromSuri(s, 'sr25519')]) {
          try {
            fn();
          } catch (e) {
            expect(e).toBeInstanceOf(AppError);
          }
        }
      }),
      { numRuns: 100 },
    );
  });
});
