import { PlaceholderPage } from './placeholders';

export function RewardsPage() {
  return (
    <PlaceholderPage
      title="Rewards"
      body="Your balance and rewards per competition appear here once you have joined one."
      next={{ href: '#/competitions', label: 'Browse competitions' }}
    />
  );
}
