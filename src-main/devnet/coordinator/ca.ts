/**
 * The practice coordinator's certificate authority (PROTOCOLS §5, docs/practice-network.md,
 * "Coordinator and certificate service"): an RSA-2048 (e = 65537) key and a self-signed CA
 * certificate kept in `<dataDir>/devnet/coordinator/` (key 0600), created on first use. It signs
 * runner certificates (EKU serverAuth, one SAN DNS name) and the coordinator's own client
 * certificate (EKU clientAuth). X.509 with @peculiar/x509 over node's WebCrypto.
 */
import './reflect-shim';
import { createPrivateKey, createPublicKey, generateKeyPair, generateKeyPairSync, randomBytes, webcrypto } from 'node:crypto';
import { promisify } from 'node:util';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';

type CryptoKey = webcrypto.CryptoKey;
const crypto = webcrypto;
// Node's WebCrypto is the standard Crypto; the DOM type is not in this project's lib.
x509.cryptoProvider.set(webcrypto as never);

export const RSA_ALGORITHM = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;

export function coordinatorDir(dataDir: string): string {
  return join(dataDir, 'devnet', 'coordinator');
}

function writeAtomic(file: string, text: string, mode: number): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode });
  chmodSync(tmp, mode);
  renameSync(tmp, file);
}

/** A new RSA-2048, e = 65537 key pair as PEM (SPKI public, PKCS#8 private). */
export function generateRsaKeyPair(): { publicKeyPem: string; privateKeyPem: string } {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 65537 });
  return { publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }) as string, privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string };
}

/**
 * The same, off the event loop (libuv's thread pool): an RSA-2048 key takes 100–300 ms, and the
 * practice network makes two on a fresh data dir while the app is already serving its UI.
 */
export async function generateRsaKeyPairAsync(): Promise<{ publicKeyPem: string; privateKeyPem: string }> {
  const { publicKey, privateKey } = await promisify(generateKeyPair)('rsa', { modulusLength: 2048, publicExponent: 65537 });
  return { publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }) as string, privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string };
}

export class PublicKeyRefused extends Error {}

/** The SPKI DER of a PEM public key that is RSA-2048 with e = 65537; anything else is refused. */
export function rsa2048Spki(publicKeyPem: string): Uint8Array {
  let key;
  try {
    key = createPublicKey({ key: publicKeyPem, format: 'pem' });
  } catch {
    throw new PublicKeyRefused('tlsPublicKeyPemString is not a PEM public key.');
  }
  const details = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType !== 'rsa' || details?.modulusLength !== 2048 || details.publicExponent !== 65537n) throw new PublicKeyRefused('The TLS key must be RSA-2048 with e = 65537.');
  return new Uint8Array(key.export({ type: 'spki', format: 'der' }));
}

export interface IssueParams {
  /** SPKI DER of the subject's RSA key. */
  spki: Uint8Array;
  commonName: string;
  usage: 'server' | 'client';
  /** DNS names for the SAN (servers: exactly one). */
  sanDns: readonly string[];
  daysValid: number;
}

export interface IssuedCertificate {
  pem: string;
  serial: string;
  notAfter: Date;
}

export class CertificateAuthority {
  private constructor(
    private readonly key: CryptoKey,
    private readonly cert: x509.X509Certificate,
  ) {}

  /** The CA of this data dir, created (10 years) when absent. */
  static async open(dataDir: string, now: () => Date = () => new Date()): Promise<CertificateAuthority> {
    const dir = coordinatorDir(dataDir);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const keyFile = join(dir, 'ca-key.pem');
    const certFile = join(dir, 'ca-cert.pem');
    if (!existsSync(keyFile) || !existsSync(certFile)) {
      const { privateKeyPem, publicKeyPem } = await generateRsaKeyPairAsync();
      const privateKey = await importPrivateKey(privateKeyPem);
      const publicKey = await crypto.subtle.importKey('spki', pemBody(publicKeyPem), RSA_ALGORITHM, true, ['verify']);
      const start = now();
      const cert = await x509.X509CertificateGenerator.createSelfSigned({
        serialNumber: serialHex(),
        name: 'CN=Minerva practice network CA, O=Minerva practice network',
        notBefore: new Date(start.getTime() - 60_000),
        notAfter: new Date(start.getTime() + 3650 * DAY_MS),
        keys: { privateKey, publicKey },
        signingAlgorithm: RSA_ALGORITHM,
        extensions: [
          new x509.BasicConstraintsExtension(true, 0, true),
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
          await x509.SubjectKeyIdentifierExtension.create(publicKey),
        ],
      });
      writeAtomic(keyFile, privateKeyPem, 0o600);
      writeAtomic(certFile, cert.toString('pem'), 0o644);
    }
    const key = await importPrivateKey(readFileSync(keyFile, 'utf8'));
    return new CertificateAuthority(key, new x509.X509Certificate(readFileSync(certFile, 'utf8')));
  }

  get certificatePem(): string {
    return this.cert.toString('pem');
  }

  async issue(params: IssueParams, now: Date = new Date()): Promise<IssuedCertificate> {
    const publicKey = await crypto.subtle.importKey('spki', params.spki, RSA_ALGORITHM, true, ['verify']);
    const serial = serialHex();
    const notAfter = new Date(now.getTime() + params.daysValid * DAY_MS);
    const server = params.usage === 'server';
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serial,
      subject: [{ CN: [params.commonName] }],
      issuer: this.cert.subject,
      notBefore: new Date(now.getTime() - 60_000),
      notAfter,
      publicKey,
      signingKey: this.key,
      signingAlgorithm: RSA_ALGORITHM,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
        new x509.ExtendedKeyUsageExtension([server ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth], false),
        ...(params.sanDns.length > 0 ? [new x509.SubjectAlternativeNameExtension(params.sanDns.map((value) => ({ type: 'dns' as const, value })), false)] : []),
        await x509.AuthorityKeyIdentifierExtension.create(this.cert, false),
        await x509.SubjectKeyIdentifierExtension.create(publicKey),
      ],
    });
    return { pem: cert.toString('pem'), serial, notAfter };
  }
}

function pemBody(pem: string): Uint8Array {
  const body = pem.replace(/-----(BEGIN|END) [A-Z ]+-----/g, '').replace(/\s+/g, '');
  return new Uint8Array(Buffer.from(body, 'base64'));
}

async function importPrivateKey(pem: string): Promise<CryptoKey> {
  const der = createPrivateKey(pem).export({ type: 'pkcs8', format: 'der' });
  return crypto.subtle.importKey('pkcs8', new Uint8Array(der), RSA_ALGORITHM, false, ['sign']);
}

/** A positive 16-byte serial as hex (first bit clear). */
function serialHex(): string {
  const b = randomBytes(16);
  b[0] = (b[0]! & 0x7f) | 0x01;
  return b.toString('hex');
}

/** Facts of a certificate the tests and the client check: SAN DNS names, EKUs, validity. */
export function describeCertificate(pem: string): { sanDns: string[]; ekus: string[]; notAfter: Date; issuer: string; subject: string } {
  const cert = new x509.X509Certificate(pem);
  const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
  const eku = cert.getExtension(x509.ExtendedKeyUsageExtension);
  return {
    sanDns: san ? san.names.items.filter((n) => n.type === 'dns').map((n) => n.value) : [],
    ekus: eku ? eku.usages.map(String) : [],
    notAfter: cert.notAfter,
    issuer: cert.issuer,
    subject: cert.subject,
  };
}
