import { PlaceholderPage } from './placeholders';

export function CompetitionsPage() {
  return (
    <PlaceholderPage
      title="Catalogue"
      body="Competitions of the selected network will be listed here, with their requirements and rewards, ready to join in one click."
      next={{ href: '#/wallet', label: 'Set up your wallet first' }}
    />
  );
}
