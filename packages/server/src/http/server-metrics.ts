import { monitorEventLoopDelay } from 'node:perf_hooks';

/**
 * Counters behind `/metrics`; gauges (frame, lag, clients) are read at scrape time from the
 * services that own them.
 */
export class ServerMetrics {
  readonly #loopDelay = monitorEventLoopDelay({ resolution: 10 });
  #frameWaits = { reached: 0, timeout: 0, 'generation-changed': 0 };
  #eventsSent = 0;
  #liveQueryRuns = 0;
  #slowClientsCut = 0;
  #rate = { at: Date.now(), count: 0, perSecond: 0 };

  constructor() {
    this.#loopDelay.enable();
  }

  observeFrameWait(status: 'reached' | 'timeout' | 'generation-changed'): void {
    this.#frameWaits[status]++;
  }

  eventSent(): void {
    this.#eventsSent++;
  }

  /** A live query procedure ran (a client's fetch, or the server's own run after a change). */
  liveQueryRan(): void {
    this.#liveQueryRuns++;
  }

  slowClientCut(): void {
    this.#slowClientsCut++;
  }

  /** Events per second over the last scrape interval (at least one second). */
  eventsPerSecond(): number {
    const now = Date.now();
    const elapsed = now - this.#rate.at;
    if (elapsed >= 1000) {
      this.#rate = {
        at: now,
        count: this.#eventsSent,
        perSecond: ((this.#eventsSent - this.#rate.count) * 1000) / elapsed,
      };
    }
    return this.#rate.perSecond;
  }

  snapshot() {
    return {
      eventsSent: this.#eventsSent,
      liveQueryRuns: this.#liveQueryRuns,
      eventsPerSecond: this.eventsPerSecond(),
      slowClientsCut: this.#slowClientsCut,
      frameWaits: { ...this.#frameWaits },
      eventLoopDelayP99Ms: this.#loopDelay.percentile(99) / 1e6,
      eventLoopDelayMaxMs: this.#loopDelay.max / 1e6,
    };
  }

  close(): void {
    this.#loopDelay.disable();
  }
}
