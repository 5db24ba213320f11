import type { LiveframeServices } from '../live/live-services.ts';

/**
 * Renders `/metrics` in the Prometheus text format: position, replica lag, clients,
 * subscriptions, live queries, events/s, read-your-writes waits and event-loop delay.
 */
export function renderMetrics(input: { services: LiveframeServices; clients: number }): string {
  const { services, clients } = input;
  const position = services.database.driver.position();
  // Frames of different generations are not comparable: a generation change reads as no lag.
  const primary = services.database.primaryPosition?.();
  const lag =
    primary !== undefined && primary.generation === position.generation ? primary.frame - position.frame : 0;
  const snapshot = services.metrics.snapshot();
  const hub = services.hub.stats();
  const hints = services.peerHints.stats;
  const lines = [
    ['liveframe_frame', position.frame, 'gauge', 'frame the local replica is at'],
    ['liveframe_hub_frame', services.hub.position.frame, 'gauge', 'frame the live hub has processed'],
    [
      'liveframe_replica_lag_frames',
      Math.max(0, lag),
      'gauge',
      'frames the replica is behind the newest primary frame this server has seen',
    ],
    ['liveframe_clients', clients, 'gauge', 'open WebSocket connections'],
    ['liveframe_subscriptions', hub.subscriptions, 'gauge', 'active live subscriptions'],
    ['liveframe_sessions', services.sessions.size, 'gauge', 'subscriptions with registrations kept'],
    ['liveframe_live_queries', hub.queries, 'gauge', 'registered live queries'],
    ['liveframe_change_events_total', hub.published, 'counter', 'capture events processed'],
    ['liveframe_events_sent_total', snapshot.eventsSent, 'counter', 'subscription events sent'],
    [
      'liveframe_live_query_runs_total',
      snapshot.liveQueryRuns,
      'counter',
      'live query executions (client fetches and the server re-running hit queries)',
    ],
    ['liveframe_events_per_second', snapshot.eventsPerSecond, 'gauge', 'subscription events sent per second'],
    [
      'liveframe_slow_clients_cut_total',
      snapshot.slowClientsCut,
      'counter',
      'clients disconnected for not reading',
    ],
    [
      'liveframe_min_frame_reached_total',
      snapshot.frameWaits.reached,
      'counter',
      'minFrame waits that succeeded',
    ],
    [
      'liveframe_min_frame_timeout_total',
      snapshot.frameWaits.timeout,
      'counter',
      'minFrame waits that timed out',
    ],
    [
      'liveframe_stale_reads_total',
      services.staleReads.staleReads,
      'counter',
      'reads served while the replica could not reach changes already announced',
    ],
    ['liveframe_peer_hints_sent_total', hints.sent, 'counter', 'sync hints this server sent to peers'],
    ['liveframe_peer_hints_received_total', hints.received, 'counter', 'sync hints received from peers'],
    [
      'liveframe_peer_hints_applied_early_total',
      hints.appliedEarly,
      'counter',
      'received hints whose changes were published before the replica synced them',
    ],
    ['liveframe_event_loop_delay_p99_ms', snapshot.eventLoopDelayP99Ms, 'gauge', 'event-loop delay p99'],
    ['liveframe_event_loop_delay_max_ms', snapshot.eventLoopDelayMaxMs, 'gauge', 'event-loop delay max'],
    ['liveframe_rss_bytes', process.memoryUsage.rss(), 'gauge', 'resident set size'],
  ] as const;
  return `${lines
    .map(
      ([name, value, type, help]) =>
        `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n${name} ${Number(value)}`,
    )
    .join('\n')}\n`;
}
