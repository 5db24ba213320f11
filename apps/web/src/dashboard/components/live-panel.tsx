import { type InvalidationRecord, useInvalidationLog, useLiveClient, useLiveStatus } from '@liveframe/react';
import type { ReactNode } from 'react';
import { formatAgo } from '../format.ts';
import { useNow } from '../use-now.ts';
import { ConnectionBadge } from './connection-badge.tsx';

/**
 * What the live machinery is doing: connection state, the frame the subscription is at, and the
 * latest change sets with the queries they refetched (or skipped) and how long that took.
 */
export function LivePanel(): ReactNode {
  const status = useLiveStatus();
  const log = useInvalidationLog();
  const { log: invalidations } = useLiveClient();
  const now = useNow(2_000);
  const totals = invalidations.totals;
  return (
    <section className="card live-panel" data-testid="live-panel">
      <header className="card-header">
        <h2>Live connection</h2>
        <ConnectionBadge testId="panel-connection-state" />
      </header>
      <dl className="stats">
        <div>
          <dt>Frame</dt>
          <dd
            className="mono"
            data-testid="current-frame"
            data-position={status.position ?? ''}
            title={status.position ?? ''}
          >
            {frameNumberOf(status.position)}
          </dd>
        </div>
        <div>
          <dt>Live queries</dt>
          <dd data-testid="live-query-count">{status.liveQueries}</dd>
        </div>
        <div>
          <dt>Change sets</dt>
          <dd data-testid="change-set-count">{totals.changeSets}</dd>
        </div>
        <div>
          <dt>Refetched / skipped</dt>
          <dd data-testid="refetch-count">
            {totals.refetches} / {totals.skipped}
          </dd>
        </div>
      </dl>
      <h3 className="subhead">Recent invalidations</h3>
      <ol className="invalidations" data-testid="invalidations">
        {log.slice(0, 8).map((record) => (
          <InvalidationItem key={record.id} record={record} now={now} />
        ))}
        {log.length === 0 ? <li className="muted">Waiting for changes…</li> : null}
      </ol>
    </section>
  );
}

function InvalidationItem(props: { record: InvalidationRecord; now: number }): ReactNode {
  const { record, now } = props;
  const frame = record.position === null ? 'all' : `${record.position.frame}`;
  return (
    <li className="invalidation" data-testid="invalidation">
      <div className="invalidation-head">
        <span className="mono frame-chip">#{frame}</span>
        <span className="tables">{record.reason ?? (record.tables.join(', ') || 'changes')}</span>
        <span className="muted duration">
          {record.durationMs === null ? 'refetching…' : `${record.durationMs} ms`} ·{' '}
          {formatAgo(record.receivedAt, now)}
        </span>
      </div>
      <div className="invalidation-queries">
        {record.refetched.map((path) => (
          <span key={`r-${path}`} className="query-chip refetched" title="refetched">
            ↻ {path}
          </span>
        ))}
        {record.skipped.map((path) => (
          <span key={`s-${path}`} className="query-chip skipped" title="already at this frame: not refetched">
            ✓ {path}
          </span>
        ))}
      </div>
    </li>
  );
}

/** `"local-14b4:42"` → `"42"`: the generation is in the tooltip, the number is what moves. */
function frameNumberOf(position: string | null): string {
  if (position === null) return '–';
  return position.slice(position.lastIndexOf(':') + 1);
}
