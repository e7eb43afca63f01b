/**
 * Small shared pieces of the runtime: the logger shape it accepts, the labels it puts on every
 * container and image it creates, and the redaction hook for model logs.
 */

/** Any logger with these four methods (core's ScopedLogger fits). */
export interface RuntimeLogger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export const silentLogger: RuntimeLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/** Scrubs a line of model output before it is kept or shown (core passes its redactor's `text`). */
export type RedactFn = (text: string) => string;

/**
 * Labels. `managed` is the one the app filters on in EVERY list call: a container without it is
 * never listed, stopped or removed by Minerva (PROTOCOLS §7).
 */
export const LABEL = {
  managed: 'io.minerva.managed',
  job: 'io.minerva.job',
  runner: 'io.minerva.runner',
  /** Which app data dir created it (a hash), so two Minerva installs never reap each other. */
  scope: 'io.minerva.scope',
  /** The app instance (one per start) that owns it; a different, dead owner means "left by a crash". */
  owner: 'io.minerva.owner',
  ownerPid: 'io.minerva.owner-pid',
  ownerHost: 'io.minerva.owner-host',
  /** Model bundle facts on images built from a bundle. */
  bundleName: 'io.minerva.bundle.name',
  bundleVersion: 'io.minerva.bundle.version',
  bundleSha256: 'io.minerva.bundle.sha256',
  /** Base images (node runtime) built locally. */
  base: 'io.minerva.base',
  /**
   * Images Minerva built. Deliberately NOT `managed`: a container inherits its image's labels, so
   * a managed label on an image would make anyone's container from that image look like ours.
   */
  image: 'io.minerva.image',
} as const;

export const MANAGED_FILTER = `${LABEL.managed}=1`;
export const IMAGE_FILTER = `${LABEL.image}=1`;
