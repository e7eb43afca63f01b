import { z } from 'zod';
import { method } from './define';

/** One file inside a diagnostics bundle. */
export interface DiagnosticsFile {
  name: string;
  bytes: number;
}

/**
 * A diagnostics bundle: a zip for a support request. Everything in it was redacted by core (the
 * log redactor's rules, applied again when the bundle is written); it never holds the wallet,
 * the database or a secret.
 */
export interface DiagnosticsBundle {
  /** A suggested name, `minerva-diagnostics-<UTC time>.zip`. */
  fileName: string;
  createdAt: string;
  /** The zip itself, base64 (it crosses IPC, the WebSocket and the control socket alike). */
  zipBase64: string;
  bytes: number;
  files: DiagnosticsFile[];
}

export const diagnosticsMethods = {
  'diagnostics.export': method<DiagnosticsBundle>()({
    input: z.object({}).strict(),
    summary: 'A zip of redacted logs, versions, settings without secrets, engine info, recent jobs and flows, and health checks.',
  }),
};
