/**
 * Just enough X.509 for the Secure Model Protocol (§5): PEM → DER, and the exact bytes of the
 * certificate's SubjectPublicKeyInfo (sliced from the DER, never re-encoded, so `cert_pub` and the
 * certificate hash match what any TLS stack sees). Everything malformed is `CERT_INVALID`.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { AppError } from '@shared/contract/errors';
import { fromBase64, toHex } from './encoding';

function invalid(message: string): AppError {
  return new AppError('CERT_INVALID', message);
}

/** The DER of the first `CERTIFICATE` block of a PEM text. */
export function pemToDer(pem: unknown): Uint8Array {
  if (typeof pem !== 'string' || pem.length > 1_000_000) throw invalid('The certificate must be PEM text.');
  const m = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+)-----END CERTIFICATE-----/.exec(pem);
  if (m === null) throw invalid('No PEM CERTIFICATE block found.');
  return fromBase64(m[1]!.replace(/\s+/g, ''), 'The PEM body', 'CERT_INVALID');
}

interface Tlv {
  tag: number;
  start: number;
  contentStart: number;
  end: number;
}

/** One DER TLV at `offset` inside `[offset, limit)`, definite lengths only. */
function readTlv(der: Uint8Array, offset: number, limit: number): Tlv {
  if (offset + 2 > limit) throw invalid('Truncated DER.');
  const tag = der[offset]!;
  if ((tag & 0x1f) === 0x1f) throw invalid('Multi-byte DER tags are not expected here.');
  let len = der[offset + 1]!;
  let p = offset + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw invalid('Unsupported DER length.');
    if (p + n > limit) throw invalid('Truncated DER length.');
    len = 0;
    for (let i = 0; i < n; i += 1) len = len * 256 + der[p + i]!;
    if (len < 128 || (n > 1 && der[p] === 0)) throw invalid('Non-minimal DER length.');
    p += n;
  }
  if (p + len > limit) throw invalid('DER element overruns its container.');
  return { tag, start: offset, contentStart: p, end: p + len };
}

/** The SubjectPublicKeyInfo DER of a certificate (PEM text or DER bytes). */
export function spkiFromCertificate(cert: string | Uint8Array): Uint8Array {
  const der = typeof cert === 'string' ? pemToDer(cert) : cert;
  const outer = readTlv(der, 0, der.length);
  if (outer.tag !== 0x30 || outer.end !== der.length) throw invalid('A certificate is one DER SEQUENCE.');
  const tbs = readTlv(der, outer.contentStart, outer.end);
  if (tbs.tag !== 0x30) throw invalid('The certificate has no TBSCertificate.');
  let p = tbs.contentStart;
  let first = readTlv(der, p, tbs.end);
  if (first.tag === 0xa0) {
    p = first.end;
    first = readTlv(der, p, tbs.end);
  }
  // serialNumber, signature, issuer, validity, subject, then subjectPublicKeyInfo
  const expected = [0x02, 0x30, 0x30, 0x30, 0x30];
  for (const tag of expected) {
    const el = readTlv(der, p, tbs.end);
    if (el.tag !== tag) throw invalid('Unexpected element in TBSCertificate.');
    p = el.end;
  }
  const spki = readTlv(der, p, tbs.end);
  if (spki.tag !== 0x30) throw invalid('The certificate has no SubjectPublicKeyInfo.');
  return der.slice(spki.start, spki.end);
}

/** §5 "pinned": lowercase hex SHA-256 of the certificate's SPKI DER. */
export function certificateHash(cert: string | Uint8Array): string {
  return toHex(sha256(spkiFromCertificate(cert)));
}
