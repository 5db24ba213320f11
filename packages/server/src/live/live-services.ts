import type { LiveQueryHub } from '@liveframe/reactive';
import type { Logger } from 'pino';
import type { Authenticator } from '../auth/identity.ts';
import type { TablePermissions } from '../auth/table-permissions.ts';
import type { ChangeLogCompaction } from '../cluster/change-log-compaction.ts';
import type { PeerSyncHints } from '../cluster/peer-sync-hints.ts';
import type { LiveDatabase } from '../db/database-contract.ts';
import type { CapturedStatement, RequestDatabase } from '../db/request-database.ts';
import type { ServerMetrics } from '../http/server-metrics.ts';
import type { EventEncodingCache } from './live-delivery.ts';
import type { DerivedReadSet, LiveSessions } from './live-sessions.ts';
import type { StaleReadRecovery } from './stale-read-recovery.ts';
import type { SubscriptionRequests } from './subscription-requests.ts';

/** Tunables of the live layer (see config.ts for defaults and flags). */
export interface LiveOptions {
  readonly minFrameTimeoutMs: number;
  readonly maxBufferedBytes: number;
  readonly slowClientGraceMs: number;
  readonly maxQueriesPerSubscription: number;
  readonly sessionGraceMs: number;
  /** Events a subscription buffers before it overflows into one refetch-all. */
  readonly subscriptionBufferSize: number;
  /** Write live events to sockets directly (live-delivery.ts) instead of through tRPC's path. */
  readonly directEvents: boolean;
}

/** Everything procedures reach through `ctx.services`: one instance per server. */
export interface LiveframeServices {
  readonly database: LiveDatabase;
  readonly hub: LiveQueryHub;
  readonly sessions: LiveSessions;
  readonly permissions: TablePermissions<object>;
  readonly authenticate: Authenticator<object>;
  readonly options: LiveOptions;
  readonly logger: Logger;
  readonly metrics: ServerMetrics;
  /** tRPC request ids of `live.events` subscriptions, per socket (direct event delivery). */
  readonly subscriptionRequests: SubscriptionRequests;
  /** Tells the other servers to sync after this one wrote (replica mode, `--peers`). */
  readonly peerHints: PeerSyncHints;
  /** Reads served below announced changes, and the refetch-all once the replica caught up. */
  readonly staleReads: StaleReadRecovery;
  /** Periodic change-log compaction (replica mode). */
  readonly compaction: ChangeLogCompaction;
  /** Encoded event payloads shared by every client that gets the same event. */
  readonly eventEncoding: EventEncodingCache;
  requestDatabase(identity: object, capture?: CapturedStatement[]): RequestDatabase;
  /** Runs a live query procedure as `identity` and returns what it read (set once the router exists). */
  deriveReadSet(
    identity: object,
    path: string,
    input: unknown,
    options?: { readonly output: boolean },
  ): Promise<DerivedReadSet>;
  isLiveQuery(path: string): boolean;
}
