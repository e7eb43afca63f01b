import { PlaceholderPage } from './placeholders';

export function RunnerPage() {
  return (
    <PlaceholderPage
      title="Model runner"
      body="When you join a model-runner competition, your runner's address, certificate, SMP hotkey and the coordinator's calls appear here."
      next={{ href: '#/competitions', label: 'Browse competitions' }}
    />
  );
}
