import { PlaceholderPage } from './placeholders';

export function CheckpointsPage() {
  return (
    <PlaceholderPage
      title="Checkpoint submissions"
      body="Commit a checkpoint's hash on chain, then submit it, and follow the validator's verdict here."
      next={{ href: '#/competitions', label: 'Browse competitions' }}
    />
  );
}
