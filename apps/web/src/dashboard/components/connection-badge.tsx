import { type ConnectionState, useConnectionState } from '@liveframe/react';
import type { ReactNode } from 'react';

const LABELS: Record<ConnectionState, string> = {
  connecting: 'Connecting',
  live: 'Live',
  reconnecting: 'Reconnecting',
  offline: 'Offline',
};

/** A pill with a pulsing dot: green live, amber (re)connecting, grey offline. */
export function ConnectionBadge(props: { testId?: string }): ReactNode {
  const state = useConnectionState();
  return (
    <span
      className={`badge badge-${state}`}
      data-testid={props.testId ?? 'connection-state'}
      data-state={state}
    >
      <span className="badge-dot" aria-hidden="true" />
      {LABELS[state]}
    </span>
  );
}
