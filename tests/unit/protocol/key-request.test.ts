import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AppError } from '@shared/contract/errors';
import { eoaFromMnemonic } from '@shared/protocol/identities';
import { buildKeyRequest, KEY_ENDPOINTS, parseKeyRequest, parseKeyResponse, verifyKeyRequestSignature } from '@shared/protocol/key-request';

const { privateKey, address } = eoaFromMnemonic('test test test test test test test test test test test junk');

describe('key issuance bodies (§2.3)', () => {
  it('session and task requests round-trip and verify', () => {
    const s = buildKeyRequest(privateKey, 101);
    expect(s.endpoint).toBe(KEY_ENDPOINTS.session);
    expect(Object.keys(s.body)).toEqual(['address', 'signature', 'session_id']);
    const rs = parseKeyRequest(JSON.parse(JSON.stringify(s.body)), 'session');
    expect(rs).toMatchObject({ scope: '101', address, taskId: null, keyVersion: undefined });
    expect(() => verifyKeyRequestSignature(rs)).not.toThrow();
    const t = buildKeyRequest(privateKey, 101, 9001, 'v2');
    expect(t.endpoint).toBe(KEY_ENDPOINTS.task);
    const rt = parseKeyRequest(t.body, 'task');
    expect(rt).toMatchObject({ scope: '101:9001', keyVersion: 'v2' });
    verifyKeyRequestSignature(rt);
  });
  it('400 before 401: a task_id on the session endpoint is malformed, a wrong signer is 401', () => {
    const t = buildKeyRequest(privateKey, 101, 9001);
    expect(() => parseKeyRequest(t.body, 'session')).toThrow(expect.objectContaining({ code: 'VALIDATION' }));
    // The session signature does not authorise the task scope.
    const s = buildKeyRequest(privateKey, 101);
    const forged = parseKeyRequest({ ...s.body, task_id: 9001 }, 'task');
    expect(() => verifyKeyRequestSignature(forged)).toThrow(expect.objectContaining({ code: 'SIGNATURE_INVALID' }));
    const other = parseKeyRequest({ ...s.body, address: `0x${'1'.repeat(40)}` }, 'session');
    expect(() => verifyKeyRequestSignature(other)).toThrow(expect.objectContaining({ code: 'SIGNATURE_INVALID' }));
  });
  it('response must be for the requested scope', () => {
    const body = { payload_enc_key: 'ab'.repeat(32), key_version: 'v3', scope: '101', scope_type: 'session' };
    expect(parseKeyResponse(body, { scopeType: 'session', scope: '101' }).keyVersion).toBe('v3');
    expect(() => parseKeyResponse({ ...body, scope: '102' }, { scopeType: 'session', scope: '101' })).toThrow(AppError);
    expect(() => parseKeyResponse({ ...body, payload_enc_key: 'ab' }, { scopeType: 'session', scope: '101' })).toThrow(expect.objectContaining({ code: 'KEY_INVALID' }));
  });
  it('parsers throw only AppError on anything', () => {
    fc.assert(
      fc.property(fc.oneof(fc.anything(), fc.dictionary(fc.constantFrom('address', 'signature', 'session_id', 'task_id', 'key_version'), fc.jsonValue())), (v) => {
        for (const endpoint of ['session', 'task'] as const) {
          try {
            verifyKeyRequestSignature(parseKeyRequest(v, endpoint));
          } catch (e) {
            expect(e).toBeInstanceOf(AppError);
          }
          try {
            parseKeyResponse(v, { scopeType: endpoint, scope: '1' });
          } catch (e) {
            expect(e).toBeInstanceOf(AppError);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
