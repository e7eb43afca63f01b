import { Card, EmptyState } from '../components/Card';

/** Pages whose features land later show what will appear and what to do meanwhile. */
export function PlaceholderPage({ title, body, next }: { title: string; body: string; next: { href: string; label: string } }) {
  return (
    <Card title={title}>
      <EmptyState title="Nothing here yet">
        <p>{body}</p>
        <p>
          <a className="button" href={next.href}>
            {next.label}
          </a>
        </p>
      </EmptyState>
    </Card>
  );
}
