import type { ChangeSet, ReadSet, SubscriptionEvent } from '../src/index.ts';
import { LiveQueryHub, LiveQueryRegistry, readSetOf, summarizeChanges, tablesTouched } from '../src/index.ts';
import { pickInt, pickOne, seededRandom } from './seeded-random.ts';

/**
 * Time to match one change set (10 row changes over 3 tables) against 10k registered queries:
 * 40% single-table scans, 10% two-table joins, 50% point lookups by rowid, over 20 tables and
 * 500 subscribers. Baseline in the same run: a linear scan testing every query's read-set.
 */
export interface MatchLatency {
  readonly indexedMedianUs: number;
  readonly indexedP99Us: number;
  readonly linearMedianUs: number;
  /** Through LiveQueryHub.publish, including delivery into 500 open subscriptions. */
  readonly publishMedianUs: number;
  readonly averageInvalidated: number;
}

const TABLES = Array.from({ length: 20 }, (_, i) => `table_${i}`);
const QUERIES = 10_000;
const SUBSCRIBERS = 500;
const ROWIDS = 100_000;

export function measureMatchLatency(iterations = 2000): MatchLatency {
  const random = seededRandom(42);
  const queries: { subscriberId: string; key: string; readSet: ReadSet }[] = [];
  for (let i = 0; i < QUERIES; i++) {
    const roll = random();
    const readSet =
      roll < 0.4
        ? readSetOf({ [pickOne(random, TABLES)]: 'all' })
        : roll < 0.5
          ? readSetOf({ [pickOne(random, TABLES)]: 'all', [pickOne(random, TABLES)]: 'all' })
          : readSetOf({
              [pickOne(random, TABLES)]: Array.from({ length: pickInt(random, 1, 3) }, () =>
                pickInt(random, 1, ROWIDS),
              ),
            });
    queries.push({ subscriberId: `client-${i % SUBSCRIBERS}`, key: `query-${i}`, readSet });
  }
  const registry = new LiveQueryRegistry();
  const hub = new LiveQueryHub({ position: { generation: 'bench', frame: 0 }, bufferSize: 1_000_000 });
  for (const query of queries) {
    registry.register(query.subscriberId, query.key, query.readSet);
    hub.registerQuery(query);
  }
  const subscriptions = Array.from({ length: SUBSCRIBERS }, (_, i) =>
    hub.subscribe({ subscriberId: `client-${i}` }),
  );

  const changeSets: ChangeSet[] = Array.from({ length: 256 }, (_, frame) => {
    const tables = [pickOne(random, TABLES), pickOne(random, TABLES), pickOne(random, TABLES)];
    return {
      generation: 'bench',
      frame: frame + 1,
      changes: Array.from({ length: 10 }, () => ({
        table: pickOne(random, tables),
        op: pickOne(random, ['insert', 'update', 'delete'] as const),
        rowid: pickInt(random, 1, ROWIDS),
      })),
    };
  });

  const indexed: number[] = [];
  const linear: number[] = [];
  const publish: number[] = [];
  let invalidated = 0;
  let frame = 0;
  for (let i = -500; i < iterations; i++) {
    const changeSet = changeSets[(i + 500) % changeSets.length]!;
    let start = performance.now();
    const matches = registry.match(summarizeChanges(changeSet));
    const indexedTime = performance.now() - start;

    start = performance.now();
    const summary = summarizeChanges(changeSet);
    let linearHits = 0;
    for (const query of queries) if (tablesTouched(query.readSet, summary).length > 0) linearHits++;
    const linearTime = performance.now() - start;

    frame++;
    start = performance.now();
    hub.publish({ type: 'changes', changeSet: { ...changeSet, frame } });
    const publishTime = performance.now() - start;
    for (const subscription of subscriptions) drainSync(subscription);

    let hits = 0;
    for (const match of matches.values()) hits += match.queries.length;
    if (hits !== linearHits) throw new Error(`indexed matched ${hits} queries, linear scan ${linearHits}`);
    if (i < 0) continue;
    indexed.push(indexedTime * 1000);
    linear.push(linearTime * 1000);
    publish.push(publishTime * 1000);
    invalidated += hits;
  }
  hub.close();
  return {
    indexedMedianUs: percentile(indexed, 0.5),
    indexedP99Us: percentile(indexed, 0.99),
    linearMedianUs: percentile(linear, 0.5),
    publishMedianUs: percentile(publish, 0.5),
    averageInvalidated: invalidated / iterations,
  };
}

/** Empties a subscription's buffer without awaiting (the events are not needed). */
function drainSync(subscription: {
  buffered: number;
  next(): Promise<IteratorResult<SubscriptionEvent>>;
}): void {
  while (subscription.buffered > 0) void subscription.next();
}

export function percentile(samples: readonly number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;
}
