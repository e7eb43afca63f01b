import { AppError } from '@shared/contract/errors';

/**
 * Image references and the pinning policy of PROTOCOLS §7: outside developer mode a model image
 * must be named `name:tag@sha256:<64 hex>`, so that what runs is exactly what was reviewed. A
 * tag alone can be moved; a digest alone says nothing to a person reading the UI.
 */

export interface ImageRef {
  /** Repository including any registry host, e.g. `registry.example:5000/team/model`. */
  name: string;
  tag: string | null;
  /** `sha256:<64 lowercase hex>` or null. */
  digest: string | null;
}

// Docker's grammar, simplified: lowercase path components separated by / with . _ - inside;
// an optional registry host (with a dot, a colon or `localhost`) in front.
const COMPONENT = '[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*';
const HOST = '(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?)';
const NAME = new RegExp(`^(?:${HOST}/)?${COMPONENT}(?:/${COMPONENT})*$`);
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^sha256:[0-9a-f]{64}$/;

/** Parses a reference; throws IMAGE_REFUSED with the reason when it is not well formed. */
export function parseImageRef(reference: string): ImageRef {
  const ref = reference.trim();
  if (ref.length === 0 || ref.length > 512) throw refused(reference, 'it is empty or too long');
  let rest = ref;
  let digest: string | null = null;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw refused(reference, 'its digest is not `sha256:` followed by 64 lowercase hex digits');
  }
  let tag: string | null = null;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw refused(reference, `its tag "${tag}" is not a valid tag`);
  }
  if (!NAME.test(rest)) throw refused(reference, 'its name is not a valid image name (lowercase letters, digits, . _ - and /)');
  return { name: rest, tag, digest };
}

export function formatImageRef(ref: ImageRef): string {
  return `${ref.name}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}

export interface ImagePolicy {
  /** Developer mode accepts unpinned references (local experiments); never the default. */
  developerMode: boolean;
}

/**
 * The policy check. Outside developer mode both a tag and a sha256 digest are required; the error
 * says which one is missing and how to fix it.
 */
export function checkImageRef(reference: string, policy: ImagePolicy): ImageRef {
  const ref = parseImageRef(reference);
  if (policy.developerMode) return ref;
  if (!ref.tag && !ref.digest) {
    throw refused(reference, 'it has neither a tag nor a digest. Use the pinned form name:tag@sha256:<digest> that the competition publishes');
  }
  if (!ref.tag) throw refused(reference, 'it has no tag. Use name:tag@sha256:<digest> so the version is visible');
  if (!ref.digest) {
    throw refused(reference, 'it has no digest, and a tag alone can be moved to other code. Use name:tag@sha256:<digest> (a locally built bundle gets its digest pinned automatically)');
  }
  return ref;
}

function refused(reference: string, reason: string): AppError {
  const shown = reference.length > 120 ? `${reference.slice(0, 117)}…` : reference;
  return new AppError('IMAGE_REFUSED', `The image "${shown}" was refused: ${reason}. Only developer mode runs unpinned images.`, {
    details: { reason },
  });
}
