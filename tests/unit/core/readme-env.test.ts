import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { coreConfig } from '@core/create-core';

/**
 * README's "Environment variables" lists every configuration field's variable (each feature's
 * schema, as `minerva config` prints it): a field added with an env var and not documented there
 * fails here.
 */
function readmeSection(): string {
  const text = readFileSync(fileURLToPath(new URL('../../../README.md', import.meta.url)), 'utf8');
  const start = text.indexOf('## Environment variables');
  const end = text.indexOf('\n## ', start + 1);
  return start < 0 ? '' : text.slice(start, end < 0 ? undefined : end);
}

describe('README environment variables', () => {
  it('lists every configuration field’s variable', () => {
    const section = readmeSection();
    expect(section).not.toBe('');
    const names = coreConfig({}, {}).flatMap((e) => (e.env ? [e.env] : []));
    expect(names).toContain('MINERVA_NOTIFY_EARNING_CHECK_MS');
    expect(names).toContain('MINERVA_NOTIFY_EARNING_GRACE_MS');
    expect(names.filter((name) => !section.includes(`\`${name}\``))).toEqual([]);
  });
});
