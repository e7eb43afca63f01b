/**
 * The Crunch network profile of a model runner (issue 15): certificate enrolment against a
 * Crunch-style issuer API and the coordinator's identity from that network's indexer, instead of
 * the practice network's certificate service and chain.
 *
 * Shapes followed (public sources, read through the search index; nothing of theirs runs here):
 * - Issuer: crunchdao/crunch-certificate, crunch_certificate/certificate.py
 *   (`RemoteTlsCertificateIssuer.sign`): `POST <api>/v1/security-credentials/tls/issue-certificate`
 *   with the JSON body `{tlsPublicKeyPemString, commonName, isClient, isServer, sanDns, daysValid}`
 *   — `sanDns` one string — answered `{certificatePemString}`. A runner is the tool's `cruncher`
 *   target (crunch_certificate/cli.py `tls generate --target cruncher`: isClient false, isServer
 *   true). The tool sends no authentication headers, and neither does Minerva here: only the
 *   public key (SPKI PEM) and the names leave this computer. API bases: constants.py
 *   (`https://api.hub.crunchdao.com/`, staging `https://api.hub.crunchdao.io/`).
 * - Coordinator identity: the hotkey from the CPI indexer as crunch_certificate/sign.py
 *   `CpiHotKeyProvider` reads it (`GET <cpi>/hotkeys?wallet=<wallet>` → `{"hotkey"}`); the
 *   certificate hashes from `GET <cpi>/certificates?wallet=<wallet>`, the URL
 *   model-runner-client 0.12's security/gateway_auth_interceptor.py names. That answer's body is
 *   not in any public source read: Minerva accepts a list of 64-hex hashes, bare or as
 *   `{hash|cert_hash|sha256}` objects, at the top level or under `certificates` (docs/runner.md
 *   says so under "Not verified").
 * - The CA: the public tool has no endpoint for it, so the profile names it (PEM); every issued
 *   certificate must chain to it.
 */
import { X509Certificate } from 'node:crypto';
import { AppError } from '@shared/contract/errors';
import { certificateHash } from '@shared/protocol/smp';
import { runnerDnsName } from '@shared/protocol/smp.proto';
import { httpError, httpJson } from '../network/http';
import type { CoordinatorFacts } from './auth';

export interface CrunchProfile {
  /** The Crunch API base the public tool calls (`--crunch-api-base-url`). */
  issuerUrl: string;
  /** The CPI indexer base (`--cpi-api-base-url`): coordinator hotkey and certificate hashes. */
  cpiUrl: string;
  /** The network CA (PEM) runner certificates chain to; coordinators' client certificates too. */
  caPem: string;
  /** The coordinator wallet (base58) whose identity and certificate hashes are read from the CPI. */
  coordinatorWallet: string;
}

export const CRUNCH_ISSUE_PATH = '/v1/security-credentials/tls/issue-certificate';

/** The issuer's request body for a runner (the public tool's `cruncher` target). */
export interface CrunchIssueBody {
  tlsPublicKeyPemString: string;
  commonName: string;
  isClient: boolean;
  isServer: boolean;
  sanDns: string | null;
  daysValid: number;
}

export function crunchIssueBody(publicKeyPem: string, modelId: string, domain: string, daysValid: number): CrunchIssueBody {
  if (!/-----BEGIN PUBLIC KEY-----/.test(publicKeyPem) || /PRIVATE/.test(publicKeyPem)) throw new AppError('INTERNAL', 'Only a public key may be sent to the certificate issuer.');
  const san = runnerDnsName(modelId, domain);
  return { tlsPublicKeyPemString: publicKeyPem, commonName: san, isClient: false, isServer: true, sanDns: san, daysValid };
}

const base = (url: string): string => url.replace(/\/+$/, '');

/**
 * Asks the Crunch-style issuer for the runner's certificate and checks the answer: signed by the
 * profile's CA, for this key (`expectedSpkiSha256`), for `model-node-<model_id>.<domain>`.
 */
export async function crunchCertificate(
  profile: CrunchProfile,
  body: CrunchIssueBody,
  expectedSpkiSha256: string,
): Promise<{ certPem: string; caPem: string; notBefore: string; notAfter: string }> {
  const answer = await httpJson('Crunch certificate issuer', `${base(profile.issuerUrl)}${CRUNCH_ISSUE_PATH}`, { method: 'POST', body: JSON.stringify(body) });
  if (answer.status !== 200) throw httpError('Crunch certificate issuer', answer);
  const pem = (answer.json as { certificatePemString?: unknown } | null)?.certificatePemString;
  if (typeof pem !== 'string') throw new AppError('NETWORK_ERROR', 'The Crunch certificate issuer sent an answer without certificatePemString. Check the issuer address in the network profile.');
  let cert: X509Certificate;
  let ca: X509Certificate;
  try {
    cert = new X509Certificate(pem);
    ca = new X509Certificate(profile.caPem);
  } catch {
    throw new AppError('CERT_INVALID', 'The Crunch certificate issuer sent something that is not a certificate (or the profile’s CA is not one).');
  }
  if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) throw new AppError('CERT_INVALID', 'The Crunch certificate issuer sent a certificate the network’s CA did not sign. Check the CA in the network profile.');
  if (certificateHash(pem) !== expectedSpkiSha256) throw new AppError('CERT_INVALID', 'The Crunch certificate issuer sent a certificate for another key.');
  if (!(cert.subjectAltName ?? '').split(/,\s*/).includes(`DNS:${body.commonName}`)) throw new AppError('CERT_INVALID', `The certificate is not for ${body.commonName}.`);
  return { certPem: pem, caPem: profile.caPem, notBefore: new Date(cert.validFrom).toISOString(), notAfter: new Date(cert.validTo).toISOString() };
}

const HEX64 = /^[0-9a-fA-F]{64}$/;

/** The certificate hashes in a CPI answer (see the header: the body's form is not public). */
export function cpiCertificateHashes(json: unknown): string[] {
  const list = Array.isArray(json) ? json : (json as { certificates?: unknown } | null)?.certificates;
  if (!Array.isArray(list)) return [];
  const out: string[] = [];
  for (const item of list) {
    const value = typeof item === 'string' ? item : ['hash', 'cert_hash', 'sha256'].map((k) => (item as Record<string, unknown> | null)?.[k]).find((v) => typeof v === 'string');
    if (typeof value === 'string' && HEX64.test(value)) out.push(value.toLowerCase());
  }
  return out;
}

/**
 * The coordinator as the Crunch network states it: its wallet (from the profile), its hotkey and
 * its certificate hashes (from the CPI). The first two hashes are the pinned pair; none is a
 * coordinator that no call can pass (64 zeros never match).
 */
export async function crunchCoordinatorFacts(profile: CrunchProfile): Promise<CoordinatorFacts | null> {
  const wallet = encodeURIComponent(profile.coordinatorWallet);
  const hotkeyAnswer = await httpJson('Crunch indexer (CPI)', `${base(profile.cpiUrl)}/hotkeys?wallet=${wallet}`, { method: 'GET' });
  if (hotkeyAnswer.status === 404) return null;
  if (hotkeyAnswer.status !== 200) throw httpError('Crunch indexer (CPI)', hotkeyAnswer);
  const hotkey = (hotkeyAnswer.json as { hotkey?: unknown } | null)?.hotkey;
  if (typeof hotkey !== 'string' || hotkey === '') throw new AppError('NETWORK_ERROR', 'The Crunch indexer named no hotkey for the coordinator wallet.');
  const certAnswer = await httpJson('Crunch indexer (CPI)', `${base(profile.cpiUrl)}/certificates?wallet=${wallet}`, { method: 'GET' });
  if (certAnswer.status !== 200 && certAnswer.status !== 404) throw httpError('Crunch indexer (CPI)', certAnswer);
  const hashes = certAnswer.status === 404 ? [] : cpiCertificateHashes(certAnswer.json);
  const zero = '0'.repeat(64);
  return { walletB58: profile.coordinatorWallet, hotkey, certHashes: [hashes[0] ?? zero, hashes[1] ?? zero] };
}
