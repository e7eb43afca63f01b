import type Docker from 'dockerode';
import { AppError } from '@shared/contract/errors';
import { checkImageRef, formatImageRef, type ImagePolicy, type ImageRef } from './image-ref';
import { IMAGE_FILTER, LABEL } from './types';

/**
 * Images: turning a pinned reference into the exact local image to run, pulling with progress,
 * and listing the images Minerva made (always filtered by the io.minerva.image label).
 */

export interface ResolvedImage {
  ref: ImageRef;
  /** The local image ID (`sha256:…`) the container is created from: immutable. */
  imageId: string;
}

/**
 * Finds the local image for a reference, after the policy check. With a digest, the image must
 * match it (as a registry digest or as the image ID of a local build) and, when a tag is given,
 * the tag must still point at it — a moved tag is refused rather than silently followed.
 */
export async function resolveImage(docker: Docker, reference: string, policy: ImagePolicy): Promise<ResolvedImage> {
  const ref = checkImageRef(reference, policy);
  const inspect = async (name: string): Promise<Docker.ImageInspectInfo | null> => {
    try {
      return await docker.getImage(name).inspect();
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) return null;
      throw err;
    }
  };
  if (ref.digest) {
    const byRepoDigest = await inspect(`${ref.name}@${ref.digest}`);
    const image = byRepoDigest ?? (await inspect(ref.digest));
    if (!image) throw new AppError('NOT_FOUND', `The image ${formatImageRef(ref)} is not on this computer. Build its bundle again or pull it.`);
    const matchesDigest = image.Id === ref.digest || (image.RepoDigests ?? []).includes(`${ref.name}@${ref.digest}`);
    if (!matchesDigest) throw new AppError('IMAGE_REFUSED', `The local image for ${formatImageRef(ref)} does not have the pinned digest; it was refused.`);
    if (ref.tag && !byRepoDigest) {
      const tagged = `${ref.name}:${ref.tag}`;
      if (!(image.RepoTags ?? []).includes(tagged)) {
        throw new AppError('IMAGE_REFUSED', `The tag ${tagged} no longer points at the pinned digest ${ref.digest.slice(0, 19)}…; the image was refused. Rebuild or re-pin it.`);
      }
    }
    return { ref, imageId: image.Id };
  }
  const name = `${ref.name}:${ref.tag ?? 'latest'}`;
  const image = await inspect(name);
  if (!image) throw new AppError('NOT_FOUND', `The image ${name} is not on this computer.`);
  return { ref, imageId: image.Id };
}

export interface PullProgress {
  status: string;
  id?: string;
  current?: number;
  total?: number;
}

/** Pulls a pinned reference with progress (policy first); then verifies the digest. */
export async function pullImage(docker: Docker, reference: string, policy: ImagePolicy, onProgress?: (p: PullProgress) => void): Promise<ResolvedImage> {
  const ref = checkImageRef(reference, policy);
  const pullName = ref.digest ? `${ref.name}@${ref.digest}` : `${ref.name}:${ref.tag ?? 'latest'}`;
  let stream: NodeJS.ReadableStream;
  try {
    stream = await docker.pull(pullName);
  } catch (err) {
    throw new AppError('NETWORK_ERROR', `Docker could not pull ${formatImageRef(ref)}: ${(err as Error).message}. Check the network or build the bundle locally.`, { cause: err });
  }
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(
      stream,
      (err: Error | null, output: Array<{ error?: string }>) => {
        const failed = output?.find((o) => o.error);
        if (err || failed) reject(new AppError('NETWORK_ERROR', `Docker could not pull ${formatImageRef(ref)}: ${failed?.error ?? err?.message ?? 'unknown error'}.`));
        else resolve();
      },
      (event: { status?: string; id?: string; progressDetail?: { current?: number; total?: number } }) => {
        onProgress?.({
          status: event.status ?? '',
          ...(event.id ? { id: event.id } : {}),
          ...(event.progressDetail?.current !== undefined ? { current: event.progressDetail.current } : {}),
          ...(event.progressDetail?.total !== undefined ? { total: event.progressDetail.total } : {}),
        });
      },
    );
  });
  if (ref.digest && ref.tag) await docker.getImage(`${ref.name}@${ref.digest}`).tag({ repo: ref.name, tag: ref.tag });
  return resolveImage(docker, reference, policy);
}

export interface ManagedImage {
  id: string;
  tags: string[];
  /** Pinned references: `tag@id` for local builds, plus registry digests. */
  references: string[];
  sizeBytes: number;
  createdAt: string;
  bundle: { name: string; version: string; sha256: string } | null;
  base: boolean;
}

/** Images Minerva built or pulled and labeled; never anything else. */
export async function listManagedImages(docker: Docker): Promise<ManagedImage[]> {
  const images = await docker.listImages({ filters: { label: [IMAGE_FILTER] } });
  return images
    .filter((i) => i.Labels?.[LABEL.image] === '1')
    .map((i) => {
      const tags = (i.RepoTags ?? []).filter((t) => t !== '<none>:<none>');
      const labels = i.Labels ?? {};
      const bundleName = labels[LABEL.bundleName];
      return {
        id: i.Id,
        tags,
        references: [...tags.map((t) => `${t}@${i.Id}`), ...(i.RepoDigests ?? []).filter((d) => !d.startsWith('<none>'))],
        sizeBytes: i.Size,
        createdAt: new Date(i.Created * 1000).toISOString(),
        bundle: bundleName ? { name: bundleName, version: labels[LABEL.bundleVersion] ?? '', sha256: labels[LABEL.bundleSha256] ?? '' } : null,
        // model images inherit the base image's labels: a base image is one without a bundle
        base: labels[LABEL.base] !== undefined && !bundleName,
      };
    });
}
