/**
 * The router's offchain store (PROTOCOLS §2.5) on disk: each envelope is a file
 * `<dataDir>/devnet/router/blobs/<session_id>/<uuid>.json` (mode 0600), written to a temporary
 * name and renamed, so a reader sees the old or the new envelope, never half of one. Its row in
 * router.db (URN, session, plain/encrypted, key version, size) is what everything else looks at.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writePrivateFileAtomic } from '@common/private-file';
import { formatUrn, parseUrn } from '@shared/protocol/urn';
import type { Envelope } from '@shared/protocol/envelope';
import { routerDir } from './router-config';
import type { PayloadRow, RouterRepo } from './router-db';

export class PayloadStore {
  private readonly root: string;

  constructor(
    dataDir: string,
    private readonly repo: RouterRepo,
  ) {
    this.root = join(routerDir(dataDir), 'blobs');
    mkdirSync(this.root, { recursive: true, mode: 0o700 });
  }

  private file(urn: string): string {
    const { sessionId, uuid } = parseUrn(urn);
    return join(this.root, String(sessionId), `${uuid}.json`);
  }

  private write(urn: string, sessionId: number, envelope: Envelope, createdAt: number | undefined, uploader?: string): PayloadRow {
    const text = JSON.stringify(envelope);
    const file = this.file(urn);
    mkdirSync(join(this.root, String(sessionId)), { recursive: true, mode: 0o700 });
    // fsync'd before and after the rename (the file and its folder), so a crash keeps a whole envelope
    writePrivateFileAtomic(file, text);
    const now = Date.now();
    const row: PayloadRow = {
      urn,
      session_id: sessionId,
      payload_type: envelope.payload_type,
      key_version: envelope.payload_type === 'encrypted' ? envelope.data.key_version : null,
      size: Buffer.byteLength(text),
      created_at: createdAt ?? now,
      updated_at: now,
      ...(uploader !== undefined ? { uploader } : {}),
    };
    this.repo.putPayload(row);
    return row;
  }

  /** Stores a new envelope under a fresh URN of `sessionId` (or `urn`, one the uploader chose and nobody holds). */
  put(sessionId: number, envelope: Envelope, uploader?: string, urn?: string): PayloadRow {
    return this.write(urn ?? formatUrn(sessionId), sessionId, envelope, undefined, uploader);
  }

  /** Writes an envelope back under its existing URN (rotation). */
  replace(urn: string, envelope: Envelope): PayloadRow {
    const row = this.repo.payload(urn);
    if (!row) throw new Error(`no payload ${urn}`);
    return this.write(urn, row.session_id, envelope, row.created_at);
  }

  /** The envelope's JSON text, or undefined when the URN is unknown. */
  getText(urn: string): string | undefined {
    if (!this.repo.payload(urn)) return undefined;
    return readFileSync(this.file(urn), 'utf8');
  }

  row(urn: string): PayloadRow | undefined {
    return this.repo.payload(urn);
  }
}
