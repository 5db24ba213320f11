import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CaptureEvent, FramePosition, LiveSubscription, SubscriptionEvent } from '../src/index.ts';
import { comparePositions, LiveQueryHub } from '../src/index.ts';
import { MODEL_TABLES, modelOp, modelQuery, modelTransaction } from './support/model-arbitraries.ts';
import type { ModelOp, ModelQuery } from './support/table-model.ts';
import { modelReadSet, queryKey, TableModel } from './support/table-model.ts';

/**
 * End-to-end through LiveQueryHub: clients that connect late, fall behind (buffer overflow),
 * disconnect and resume (history gaps), under throttling, generation changes and shared frames.
 * Whatever happens, once every client has drained its stream, each cached query result equals the
 * model's current result: nothing was missed, silently or otherwise.
 */
const CLIENTS = ['c0', 'c1', 'c2'] as const;
const client = fc.constantFrom(...CLIENTS);

type Step =
  | { kind: 'tx'; ops: ModelOp[] }
  /** A migration commit: a schema event and the commit's row changes at one frame, published apart. */
  | { kind: 'migration'; ops: ModelOp[]; tables: string[] | null; holdSteps: number }
  | { kind: 'generation'; viaRefetchEvent: boolean }
  | { kind: 'drain'; client: string }
  | { kind: 'disconnect'; client: string; how: 'return' | 'abort' | 'close' }
  | {
      kind: 'connect';
      client: string;
      resume: boolean;
      registerFirst: boolean;
      omitAfter: boolean;
      between: ModelOp[][];
    }
  | { kind: 'resubscribe'; client: string }
  | { kind: 'tick'; ms: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('tx' as const), ops: modelTransaction }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('migration' as const),
      ops: modelTransaction,
      tables: fc.option(fc.subarray([...MODEL_TABLES], { minLength: 1 })),
      holdSteps: fc.integer({ min: 0, max: 3 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('generation' as const), viaRefetchEvent: fc.boolean() }),
  },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('drain' as const), client }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('disconnect' as const),
      client,
      how: fc.constantFrom('return' as const, 'abort' as const, 'close' as const),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('connect' as const),
      client,
      resume: fc.boolean(),
      registerFirst: fc.boolean(),
      omitAfter: fc.boolean(),
      between: fc.array(modelTransaction, { maxLength: 3 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('resubscribe' as const), client }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 1, max: 40 }) }),
  },
);

interface Client {
  readonly id: string;
  readonly queries: readonly { key: string; query: ModelQuery }[];
  readonly cache: Map<string, string>;
  /** The client's whole cache is known current as of this position: last event, or its snapshot. */
  validAsOf: FramePosition | undefined;
  subscription: LiveSubscription | undefined;
  abort: AbortController | undefined;
  lastSeen: FramePosition | undefined;
}

describe('LiveQueryHub end to end (property)', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('every client converges to the current results after any mix of lag, reconnects and resets', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(modelOp, { maxLength: 10 }),
        fc.array(fc.array(modelQuery, { minLength: 1, maxLength: 4 }), { minLength: 3, maxLength: 3 }),
        fc.record({
          bufferSize: fc.integer({ min: 1, max: 6 }),
          maxEntries: fc.integer({ min: 1, max: 8 }),
          throttleMs: fc.constantFrom(0, 20),
        }),
        fc.array(step, { minLength: 1, maxLength: 40 }),
        async (setup, clientQueries, config, steps) => {
          const model = new TableModel(MODEL_TABLES);
          for (const op of setup) model.apply(op);
          let generation = 0;
          let frame = 1;
          const position = () => ({ generation: `gen${generation}`, frame });
          const hub = new LiveQueryHub({
            position: position(),
            history: { maxEntries: config.maxEntries },
            bufferSize: config.bufferSize,
            throttleMs: config.throttleMs,
          });
          // The row changes of a migration, already applied to the model, not yet published.
          let pending: CaptureEvent | undefined;
          let hold = 0;
          const flushPending = () => {
            if (pending !== undefined) hub.publish(pending);
            pending = undefined;
          };
          const publishTx = (ops: readonly ModelOp[]) => {
            flushPending();
            const changes = ops.flatMap((op) => model.apply(op));
            frame++;
            hub.publish({ type: 'changes', changeSet: { ...position(), changes } });
          };
          const clients: Client[] = CLIENTS.map((id, c) => ({
            id,
            queries: (clientQueries[c] ?? []).map((query, i) => ({ key: queryKey(query, i), query })),
            cache: new Map(),
            validAsOf: undefined,
            subscription: undefined,
            abort: undefined,
            lastSeen: undefined,
          }));
          const refetch = (c: Client, keys: Iterable<string>) => {
            const wanted = new Set(keys);
            for (const { key, query } of c.queries)
              if (wanted.has(key)) c.cache.set(key, model.evaluate(query));
          };
          const handle = (c: Client, event: SubscriptionEvent) => {
            // tracked() ids must never go backwards within one generation of one subscription.
            if (c.lastSeen !== undefined)
              expect(comparePositions(event.position, c.lastSeen) ?? 1).toBeGreaterThanOrEqual(0);
            c.lastSeen = event.position;
            if (event.type === 'invalidate') refetch(c, event.queries);
            if (event.type === 'refetch-all') refetch(c, c.cache.keys());
            if (event.type === 'live') {
              // The ack: a cache older than the position the stream is live from has a gap.
              const order = c.validAsOf === undefined ? null : comparePositions(c.validAsOf, event.position);
              if (order === null || order < 0) refetch(c, c.cache.keys());
            }
            c.validAsOf = event.position;
          };
          const drain = async (c: Client) => {
            while (c.subscription !== undefined && c.subscription.buffered > 0) {
              const result = await c.subscription.next();
              if (result.done !== true) handle(c, result.value);
            }
          };
          const register = (c: Client, since: FramePosition | undefined) => {
            for (const { key, query } of c.queries) {
              hub.registerQuery({
                subscriberId: c.id,
                key,
                readSet: modelReadSet(query),
                ...(since === undefined ? {} : { since }),
              });
            }
          };
          const connect = (c: Client, s: Omit<Extract<Step, { kind: 'connect' }>, 'kind' | 'client'>) => {
            if (c.subscription !== undefined) return;
            flushPending();
            if (!s.resume || c.validAsOf === undefined) {
              // Fresh: read a snapshot, and let changes happen before registration and subscription.
              c.validAsOf = hub.position;
              refetch(
                c,
                c.queries.map((q) => q.key),
              );
              for (const ops of s.between) publishTx(ops);
            }
            const since = c.validAsOf;
            c.abort = new AbortController();
            c.lastSeen = undefined;
            const subscribe = () => {
              c.subscription = hub.subscribe({
                subscriberId: c.id,
                signal: c.abort?.signal ?? AbortSignal.abort(),
                ...(s.omitAfter ? {} : { after: since }),
              });
            };
            if (s.registerFirst) {
              register(c, since);
              subscribe();
            } else {
              subscribe();
              register(c, since);
            }
          };

          const initial = { resume: false, registerFirst: true, omitAfter: false, between: [] };
          for (const c of clients) connect(c, initial);
          for (const s of steps) {
            switch (s.kind) {
              case 'tx':
                publishTx(s.ops);
                continue;
              case 'migration': {
                flushPending();
                const changes = s.ops.flatMap((op) => model.apply(op));
                frame++;
                hub.publish({
                  type: 'schema',
                  position: position(),
                  ...(s.tables === null ? {} : { tables: s.tables }),
                });
                pending = { type: 'changes', changeSet: { ...position(), changes } };
                hold = s.holdSteps;
                continue;
              }
              case 'generation':
                flushPending();
                generation++;
                frame = 1;
                if (s.viaRefetchEvent)
                  hub.publish({ type: 'refetch-all', position: position(), reason: 'new primary' });
                else hub.publish({ type: 'changes', changeSet: { ...position(), changes: [] } });
                continue;
              case 'drain':
                await drain(clients.find((c) => c.id === s.client)!);
                break;
              case 'disconnect': {
                const c = clients.find((x) => x.id === s.client)!;
                if (c.subscription === undefined) break;
                if (s.how === 'abort') c.abort?.abort();
                else if (s.how === 'return') await c.subscription.return();
                else c.subscription.close();
                c.subscription = undefined;
                break;
              }
              case 'connect':
                connect(clients.find((c) => c.id === s.client)!, s);
                continue;
              case 'resubscribe': {
                // A new connection replaces a live one: registrations stay, only the replay covers the gap.
                const c = clients.find((x) => x.id === s.client)!;
                if (c.subscription === undefined) break;
                c.abort = new AbortController();
                c.lastSeen = undefined;
                c.subscription = hub.subscribe({
                  subscriberId: c.id,
                  signal: c.abort.signal,
                  ...(c.validAsOf === undefined ? {} : { after: c.validAsOf }),
                });
                break;
              }
              case 'tick':
                vi.advanceTimersByTime(s.ms);
                break;
            }
            // Client-side steps may run between the two halves of a migration commit.
            if (hold-- <= 0) flushPending();
          }
          flushPending();
          for (const c of clients) connect(c, { ...initial, resume: true });
          for (let round = 0; round < 3; round++) {
            vi.advanceTimersByTime(1000);
            for (const c of clients) await drain(c);
          }
          for (const c of clients) {
            for (const { key, query } of c.queries)
              expect(c.cache.get(key), `${c.id} ${key}`).toBe(model.evaluate(query));
          }
          hub.close();
        },
      ),
      { numRuns: Number(process.env.RUNS ?? 1000) },
    );
  });
});
