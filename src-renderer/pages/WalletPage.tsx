import { Card, EmptyState } from '../components/Card';

export function WalletPage() {
  return (
    <div className="page-grid">
      <Card title="Your wallet">
        <EmptyState title="No wallet yet">
          <p>Your keys will live here, encrypted with your password, and never leave this app's core.</p>
        </EmptyState>
      </Card>
      <Card title="Key safety">
        <p className="note">No Minerva support person will ever ask for your recovery phrase. Anyone who asks for it is trying to take your funds.</p>
      </Card>
    </div>
  );
}
