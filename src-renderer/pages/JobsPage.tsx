import { PlaceholderPage } from './placeholders';

export function JobsPage() {
  return (
    <PlaceholderPage
      title="Private inference jobs"
      body="Jobs from the competitions you join appear here live, step by step: key, decrypt, run, encrypt, upload, reported."
      next={{ href: '#/competitions', label: 'Browse competitions' }}
    />
  );
}
