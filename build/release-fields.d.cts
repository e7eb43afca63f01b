// Types of release-fields.cjs for electron.config.ts and the tests.
export interface ReleaseFields {
  homepage: string;
  maintainer: string;
  author: { name: string; email: string };
  publishUrl: string;
  updateFeedUrl: string | null;
  updatePublicKey: string | null;
}
export function releaseFields(pkg?: unknown): ReleaseFields;
export function releaseFieldProblems(pkg?: unknown, env?: Record<string, string | undefined>): string[];
export function readPackage(root?: string): unknown;
export const PLACEHOLDERS: { homepage: string; maintainer: string; updateFeedUrl: string };
