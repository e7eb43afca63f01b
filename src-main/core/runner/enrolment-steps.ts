/**
 * The five enrolment steps (docs/runner.md, "Enrolment"), each an idempotent function of the
 * stored row: it does only what the row says is missing and returns the step's detail in words.
 * Field changes are saved with `ctx.save` as they happen (a crash after a step's effect finds it
 * in the row and follows it): the chain step sends a registration only when the chain does not
 * already say exactly that; the certificate step sends only the public key; the message step
 * signs only when the message changed.
 *
 * A step that needs the wallet while it is locked throws VAULT_LOCKED and the engine waits at the
 * unlock gate (only that step: a serving runner keeps serving). The worker (runner-worker.ts)
 * holds what lives in memory only: the opened TLS key, the signed container, the server.
 */
import { createHash, createPublicKey, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { createServer } from 'node:net';
import { AppError, isAppError } from '@shared/contract/errors';
import type { RunnerEnrolStepId } from '@shared/contract/runner';
import { toBase64 } from '@shared/protocol/encoding';
import { certPub, certificateHash, smpMessageBytes, type SmpContainer } from '@shared/protocol/smp';
import { CERT_REQUEST_HEADERS, CERT_REQUEST_PATH, certificateRequestSigningBytes, runnerDnsName, type IssueCertificateBody } from '@shared/protocol/smp.proto';
import type { StepContext } from '../kernel/flow-engine';
import type { ScopedLogger } from '../log/logger';
import { httpError, httpJson } from '../network/http';
import type { RunnerKeys } from '../vault/capabilities';
import { resetSteps } from './enrolment';
import { crunchCertificate, crunchIssueBody, type CrunchProfile } from './crunch-profile';
import type { RunnerChain } from './runner-chain';
import type { EnrolmentRow } from './runner.repo';
import { formatClock } from '@shared/format/time';

/** What a step needs from its runner (runner-worker.ts implements it). */
export interface EnrolmentHost {
  readonly competitionId: string;
  readonly networkDomain: string;
  readonly payoutHotkey: string;
  readonly chain: RunnerChain;
  readonly vault: RunnerKeys & { isUnlocked(): boolean };
  readonly log: ScopedLogger;
  readonly certDays: number;
  /** A Crunch-style network (crunch-profile.ts): certificates from its issuer API; null = the practice certificate service. */
  readonly crunch: CrunchProfile | null;
  /** The row as stored now (a step's own saves and any reset made while it ran). */
  row(): EnrolmentRow;
  /** The certificate service (the coordinator's URL from the catalogue), null until it runs. */
  certServiceUrl(): Promise<string | null>;
  now(): Date;
  /** The TLS private key (PEM), in memory only. */
  keyPem: string | undefined;
  container: SmpContainer | undefined;
  renewAt(row: EnrolmentRow): Date;
  /** Brings the server up on the row's address (the flow's last step); returns the detail. */
  serve(row: EnrolmentRow, ctx: StepContext<EnrolmentRow>): Promise<string>;
}

type Step = (h: EnrolmentHost, ctx: StepContext<EnrolmentRow>, row: EnrolmentRow) => Promise<string>;

export const KEY_LABEL = (networkId: string, competitionId: string): string => `runner-tls-key:${networkId}:${competitionId}`;

export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function advertised(row: EnrolmentRow): string {
  const host = row.listenHost.includes(':') ? `[${row.listenHost}]` : row.listenHost;
  return `${host}:${row.listenPort ?? 0}`;
}

export function requireUnlocked(h: EnrolmentHost, what: string): void {
  if (!h.vault.isUnlocked()) throw new AppError('VAULT_LOCKED', `Unlock your wallet to ${what}.`);
}

/** The active public identity of a role, or undefined (none, or the vault not unlocked yet this session). */
export function identity(h: EnrolmentHost, role: 'runner-wallet' | 'smp-hotkey'): { address: string; index?: number } | undefined {
  try {
    return h.vault.identity(role);
  } catch {
    return undefined;
  }
}

function walletB58(h: EnrolmentHost): string {
  if (!h.vault.isUnlocked() && !identity(h, 'runner-wallet')) throw new AppError('VAULT_LOCKED', 'Unlock your wallet.');
  const w = identity(h, 'runner-wallet');
  if (!w) throw new AppError('VAULT_MISSING', 'Your wallet has no runner wallet. Restore it from your recovery phrase or import a Solana keypair.');
  return w.address;
}

function smpHotkey(h: EnrolmentHost): { address: string; index: number } {
  const k = identity(h, 'smp-hotkey');
  if (!k) throw h.vault.isUnlocked() ? new AppError('VAULT_MISSING', 'Your wallet has no SMP hotkey. Restore it from your recovery phrase.') : new AppError('VAULT_LOCKED', 'Unlock your wallet.');
  return { address: k.address, index: k.index ?? 0 };
}

async function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const address = s.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** `2026-12-24 12:02 UTC` — the app's one time format in UTC, for a step's detail (core does not know the reader's zone). */
export function readableUtc(iso: string | null): string {
  return Number.isNaN(Date.parse(iso ?? '')) ? 'unknown' : formatClock(iso, { utc: true });
}

/** Opens the sealed TLS key into memory, or makes (and seals) a new one. */
const tlsKey: Step = async (h, ctx, row) => {
  await Promise.resolve();
  if (row.tlsKeySealed && h.keyPem) return `Key ${row.tlsSpkiSha256?.slice(0, 16)}…`;
  requireUnlocked(h, 'open the runner’s TLS key');
  const label = KEY_LABEL(row.networkId, row.competitionId);
  if (row.tlsKeySealed) {
    try {
      h.keyPem = new TextDecoder().decode(h.vault.open(label, row.tlsKeySealed));
      return `Key ${row.tlsSpkiSha256?.slice(0, 16)}…`;
    } catch (error) {
      if (!isAppError(error) || error.code !== 'DECRYPT_FAILED') throw error;
      h.log.warn('runner TLS key does not open with this wallet; making a new one', { competition: h.competitionId });
    }
  }
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 65537 });
  const pem = String(privateKey.export({ type: 'pkcs8', format: 'pem' }));
  const spki = sha256Hex(publicKey.export({ type: 'spki', format: 'der' }));
  // A new key needs a new certificate and message.
  ctx.save({ tlsKeySealed: h.vault.seal(label, new TextEncoder().encode(pem)), tlsSpkiSha256: spki, certPem: null, steps: resetSteps(h.row().steps, ['certificate', 'message', 'listen']) });
  h.keyPem = pem;
  return `New key ${spki.slice(0, 16)}…`;
};

/** Follows the chain: registers (wallet, SMP hotkey, address, payout hotkey, mode) only when it says otherwise. */
const chain: Step = async (h, ctx, start) => {
  let row = start;
  if (row.listenPort === null || row.listenPort === 0) row = ctx.save({ listenPort: await freePort(row.listenHost) });
  const address = row.registeredAddress ?? advertised(row);
  const wallet = walletB58(h);
  const hotkey = smpHotkey(h);
  const onChain = await h.chain.runner(h.competitionId, row.modelId);
  if (onChain && onChain.wallet_b58 !== wallet) throw new AppError('CONFLICT', `Model id ${row.modelId} belongs to another runner wallet on chain.`);
  // Coordinators learn the mode from the chain (a registration without `transport` is mutual TLS).
  const transport = row.registeredAddress ? 'mtls' : row.mode;
  if (!onChain || onChain.smp_hotkey_b58 !== hotkey.address || onChain.address !== address || onChain.payout_hotkey !== h.payoutHotkey || (onChain.transport ?? 'mtls') !== transport) {
    requireUnlocked(h, 'register the runner on chain');
    const { block } = await h.chain.registerRunner(
      { competition_id: h.competitionId, model_id: row.modelId, wallet_b58: wallet, smp_hotkey_b58: hotkey.address, address, payout_hotkey: h.payoutHotkey, ...(transport === 'gateway' ? { transport } : {}) },
      { walletB58: wallet, sign: (m) => h.vault.signWithWallet(m).signature },
    );
    h.log.info('runner registered on chain', { competition: h.competitionId, model_id: row.modelId, smp_hotkey: hotkey.address, address, transport, block });
  }
  row = ctx.save({ registeredAddress: address === advertised(row) ? null : address });
  if (row.smpHotkey !== hotkey.address) ctx.save({ smpHotkey: hotkey.address, smpIndex: hotkey.index, steps: resetSteps(row.steps, ['message']) });
  return `Model ${row.modelId} at ${address}, SMP hotkey #${hotkey.index}`;
};

/** Asks the certificate service for a certificate of the public key (unless the one stored is still good). */
const certificate: Step = async (h, ctx, row) => {
  if (row.certPem && h.now() < h.renewAt(row) && row.tlsSpkiSha256 && certificateHash(row.certPem) === row.tlsSpkiSha256) return `Valid until ${readableUtc(row.certNotAfter)}`;
  if (!h.keyPem) throw new AppError('VAULT_LOCKED', 'Unlock your wallet.');
  if (h.crunch) return crunchStep(h, ctx, row, h.keyPem, h.crunch);
  const url = await h.certServiceUrl();
  if (!url) throw new AppError('UNAVAILABLE', 'The network’s certificate service (its coordinator) is not running yet.');
  const san = runnerDnsName(row.modelId, h.networkDomain);
  const publicKeyPem = String(createPublicKey(h.keyPem).export({ type: 'spki', format: 'pem' }));
  const body: IssueCertificateBody = { tlsPublicKeyPemString: publicKeyPem, commonName: san, isClient: false, isServer: true, sanDns: [san], daysValid: h.certDays };
  const text = JSON.stringify(body);
  const ts = Math.floor(h.now().getTime() / 1000);
  requireUnlocked(h, 'ask for a certificate');
  const wallet = walletB58(h);
  const signature = h.vault.signWithWallet(certificateRequestSigningBytes(h.competitionId, row.modelId, ts, sha256Hex(text))).signature;
  const answer = await httpJson('certificate service', `${url.replace(/\/$/, '')}${CERT_REQUEST_PATH}`, {
    method: 'POST',
    body: text,
    headers: { [CERT_REQUEST_HEADERS.wallet]: wallet, [CERT_REQUEST_HEADERS.timestamp]: String(ts), [CERT_REQUEST_HEADERS.signature]: toBase64(signature) },
  });
  if (answer.status !== 200) throw httpError('certificate service', answer);
  const a = answer.json as { authorityCertificatePemString?: unknown; tlsCertificatePemString?: unknown };
  if (typeof a.authorityCertificatePemString !== 'string' || typeof a.tlsCertificatePemString !== 'string') throw new AppError('NETWORK_ERROR', 'The certificate service sent an answer Minerva cannot read.');
  const cert = new X509Certificate(a.tlsCertificatePemString);
  const ca = new X509Certificate(a.authorityCertificatePemString);
  if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) throw new AppError('CERT_INVALID', 'The certificate service sent a certificate its own authority did not sign.');
  if (certificateHash(a.tlsCertificatePemString) !== row.tlsSpkiSha256) throw new AppError('CERT_INVALID', 'The certificate service sent a certificate for another key.');
  if (!(cert.subjectAltName ?? '').split(/,\s*/).includes(`DNS:${san}`)) throw new AppError('CERT_INVALID', `The certificate is not for ${san}.`);
  const saved = ctx.save({
    certPem: a.tlsCertificatePemString,
    caPem: a.authorityCertificatePemString,
    certNotBefore: new Date(cert.validFrom).toISOString(),
    certNotAfter: new Date(cert.validTo).toISOString(),
    steps: resetSteps(h.row().steps, ['message', 'listen']),
  });
  h.log.info('runner certificate issued', { competition: h.competitionId, san, not_after: saved.certNotAfter, sha256: certificateHash(a.tlsCertificatePemString) });
  return `Valid until ${readableUtc(saved.certNotAfter)}`;
};

/** The certificate from a Crunch-style issuer: only the public key and the names leave this computer. */
async function crunchStep(h: EnrolmentHost, ctx: StepContext<EnrolmentRow>, row: EnrolmentRow, keyPem: string, profile: CrunchProfile): Promise<string> {
  const publicKeyPem = String(createPublicKey(keyPem).export({ type: 'spki', format: 'pem' }));
  const issued = await crunchCertificate(profile, crunchIssueBody(publicKeyPem, row.modelId, h.networkDomain, h.certDays), row.tlsSpkiSha256 ?? '');
  const saved = ctx.save({ certPem: issued.certPem, caPem: issued.caPem, certNotBefore: issued.notBefore, certNotAfter: issued.notAfter, steps: resetSteps(h.row().steps, ['message', 'listen']) });
  h.log.info('runner certificate issued by the Crunch issuer', { competition: h.competitionId, san: runnerDnsName(row.modelId, h.networkDomain), not_after: saved.certNotAfter });
  return `Valid until ${readableUtc(saved.certNotAfter)} (Crunch issuer)`;
}

/** Signs the runner message (cert_pub, hotkey, model_id) unless the stored one says exactly that. */
const message: Step = async (h, ctx, row) => {
  await Promise.resolve();
  if (!row.certPem || !row.smpHotkey) throw new AppError('INTERNAL', 'The message needs the certificate and the hotkey first.');
  const fields = { cert_pub: certPub(row.certPem), hotkey: row.smpHotkey, model_id: row.modelId };
  const bytes = smpMessageBytes(fields);
  const wallet = walletB58(h);
  if (h.container && h.container.message_b64 === toBase64(bytes) && h.container.wallet_pubkey_b58 === wallet) return 'Signed';
  requireUnlocked(h, 'sign the runner message');
  const signature = h.vault.signWithWallet(bytes).signature;
  // Swapped in one assignment: a call in flight keeps the metadata it already read.
  h.container = { message_b64: toBase64(bytes), wallet_pubkey_b58: wallet, signature_b64: toBase64(signature) };
  ctx.save({ messageJson: JSON.stringify(h.container) });
  h.log.info('runner message signed', { competition: h.competitionId, hotkey: fields.hotkey, model_id: fields.model_id });
  return 'Signed';
};

const listen: Step = (h, ctx, row) => h.serve(row, ctx);

export const ENROLMENT_STEPS: Record<RunnerEnrolStepId, Step> = { 'tls-key': tlsKey, chain, certificate, message, listen };
