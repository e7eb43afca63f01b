import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Where a host's control endpoint lives for a data folder. Both sides (the host that serves it and
 * the `minerva` CLI that calls it) derive the same paths from the data folder alone.
 *
 * - POSIX: a Unix domain socket `<dataDir>/minerva.sock` (0600, in the 0700 data folder). A socket
 *   path is limited to ~104 bytes by the kernel; a longer data folder path gets a socket in the
 *   system temp folder named after a hash of the data folder (the credential still guards it).
 * - Windows: a named pipe `\\.\pipe\minerva-<hash of the data folder>`.
 * - The credential: `<dataDir>/control.token` (0600), written at host start, removed at close.
 */
export interface ControlPaths {
  socketPath: string;
  credentialPath: string;
}

/** macOS allows 104 bytes including the terminating NUL, Linux 108; stay under both. */
const MAX_SOCKET_PATH_BYTES = 100;

export function controlPaths(dataDir: string, platform: NodeJS.Platform = process.platform): ControlPaths {
  const digest = createHash('sha256').update(dataDir).digest('hex').slice(0, 16);
  const credentialPath = join(dataDir, 'control.token');
  if (platform === 'win32') return { socketPath: `\\\\.\\pipe\\minerva-${digest}`, credentialPath };
  const inFolder = join(dataDir, 'minerva.sock');
  const socketPath = Buffer.byteLength(inFolder) <= MAX_SOCKET_PATH_BYTES ? inFolder : join(tmpdir(), `minerva-${digest}.sock`);
  return { socketPath, credentialPath };
}
