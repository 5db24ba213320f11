import { useLiveQuery } from '@liveframe/react';
import type { ReactNode } from 'react';
import { formatAgo } from '../format.ts';
import { useNow } from '../use-now.ts';
import { useTRPC } from '../use-trpc.ts';

/** The newest domain events (order created, status changed), live. */
export function EventsFeed(): ReactNode {
  const trpc = useTRPC();
  const events = useLiveQuery(trpc.events.recent.queryOptions({ limit: 8 }));
  const now = useNow(5_000);
  return (
    <section className="card" data-testid="events-feed">
      <header className="card-header">
        <h2>Activity</h2>
      </header>
      <ul className="feed">
        {(events.data ?? []).map((event) => (
          <li key={event.id} className="feed-item">
            <span className={`feed-type feed-${event.type.replace('.', '-')}`}>{event.type}</span>
            <span className="feed-message">{event.message}</span>
            <time className="muted">{formatAgo(event.created_at, now)}</time>
          </li>
        ))}
        {events.data?.length === 0 ? <li className="muted">No activity yet.</li> : null}
      </ul>
    </section>
  );
}
