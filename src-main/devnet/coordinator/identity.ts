/**
 * The coordinator's SMP identity (PROTOCOLS §5), kept in `<dataDir>/devnet/coordinator/`:
 * - `identity.json` (0600): the ed25519 wallet seed and the SMP hotkey seed (random, created once);
 * - `client-key.pem` (0600) and `client-cert.pem`: its RSA-2048 TLS client key and the certificate
 *   the CA issued for it (EKU clientAuth), renewed when fewer than `renewBeforeDays` days are left.
 * The v1 message `{"cert_pub", "hotkey"}` is signed by the wallet for the current certificate.
 */
import { createPrivateKey, createPublicKey, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bytesEqual, fromHex, toBase58, toHex } from '@shared/protocol/encoding';
import { walletFromSeed } from '@shared/protocol/identities';
import { certificateHash, certPub, signSmp, spkiFromCertificate, type SmpContainer } from '@shared/protocol/smp';
import { coordinatorDir, describeCertificate, generateRsaKeyPairAsync, rsa2048Spki, type CertificateAuthority } from './ca';

interface IdentityFile {
  wallet_seed_hex: string;
  hotkey_seed_hex: string;
}

function writeAtomic(file: string, text: string, mode: number): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode });
  chmodSync(tmp, mode);
  renameSync(tmp, file);
}

export interface ClientCredentials {
  keyPem: string;
  certPem: string;
  /** sha256 hex of the certificate's SPKI DER: what the chain pins. */
  certHash: string;
  notAfter: Date;
}

export class CoordinatorIdentity {
  readonly walletSeed: Uint8Array;
  readonly walletB58: string;
  readonly hotkeyB58: string;
  private readonly dir: string;

  constructor(dataDir: string) {
    this.dir = coordinatorDir(dataDir);
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const file = join(this.dir, 'identity.json');
    if (!existsSync(file)) {
      const body: IdentityFile = { wallet_seed_hex: toHex(randomBytes(32)), hotkey_seed_hex: toHex(randomBytes(32)) };
      writeAtomic(file, `${JSON.stringify(body, null, 2)}\n`, 0o600);
    }
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as IdentityFile;
    this.walletSeed = fromHex(parsed.wallet_seed_hex, 'coordinator wallet seed', { length: 32 });
    this.walletB58 = walletFromSeed(this.walletSeed).address;
    this.hotkeyB58 = toBase58(walletFromSeed(fromHex(parsed.hotkey_seed_hex, 'coordinator hotkey seed', { length: 32 })).publicKey);
  }

  /** The current client credentials, or undefined when none were issued yet. */
  current(): ClientCredentials | undefined {
    const keyFile = join(this.dir, 'client-key.pem');
    const certFile = join(this.dir, 'client-cert.pem');
    if (!existsSync(keyFile) || !existsSync(certFile)) return undefined;
    const certPem = readFileSync(certFile, 'utf8');
    const keyPem = readFileSync(keyFile, 'utf8');
    const keySpki = new Uint8Array(createPublicKey(createPrivateKey(keyPem)).export({ type: 'spki', format: 'der' }));
    if (!bytesEqual(keySpki, spkiFromCertificate(certPem))) return undefined;
    return { keyPem, certPem, certHash: certificateHash(certPem), notAfter: describeCertificate(certPem).notAfter };
  }

  /** A new key and client certificate from the CA (replacing the files); the caller pins its hash on chain. */
  async issueClientCertificate(ca: CertificateAuthority, daysValid: number, now: Date = new Date()): Promise<ClientCredentials> {
    const { publicKeyPem, privateKeyPem } = await generateRsaKeyPairAsync();
    const issued = await ca.issue({ spki: rsa2048Spki(publicKeyPem), commonName: 'practice-coordinator', usage: 'client', sanDns: [], daysValid }, now);
    // A crash between the two writes leaves a key and a certificate that do not match: current() then reports none.
    writeAtomic(join(this.dir, 'client-key.pem'), privateKeyPem, 0o600);
    writeAtomic(join(this.dir, 'client-cert.pem'), issued.pem, 0o644);
    return { keyPem: privateKeyPem, certPem: issued.pem, certHash: certificateHash(issued.pem), notAfter: issued.notAfter };
  }

  /** The v1 container for `x-auth-*` metadata, bound to this client certificate. */
  v1Container(certPem: string): SmpContainer {
    return signSmp(this.walletSeed, { cert_pub: certPub(certPem), hotkey: this.hotkeyB58 }).container;
  }
}
