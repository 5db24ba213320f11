import { registrationDigest } from '@liveframe/reactive';
import superjson from 'superjson';
import { describe, expect, it } from 'vitest';
import { EventEncodingCache, encodeEventMessage } from '../src/live/live-delivery.ts';

/** The ack's registration summary; irrelevant to the shared (non-`live`) events tested here. */
const NONE_HELD = { count: 0, digest: registrationDigest([]) };

describe('direct event delivery: encoding', () => {
  it('writes the bytes tRPC would write (same envelope, tracked id, superjson data)', () => {
    const cache = new EventEncodingCache();
    const event = {
      type: 'invalidate',
      position: { generation: 'g-1', frame: 42 },
      queries: ['kpis', 'k"2'],
      tables: ['orders'],
    } as const;
    for (const [id, jsonrpc] of [
      [7, false],
      ['abc', true],
    ] as const) {
      const message = encodeEventMessage(
        { idJson: JSON.stringify(id), jsonrpc, lastEventId: null, stopped: false },
        cache.body(event, 'sub-12345678', NONE_HELD),
      );
      const data = { type: 'invalidate', position: 'g-1:42', queries: ['kpis', 'k"2'], tables: ['orders'] };
      // What @trpc/server's ws adapter sends: respond() → transformTRPCResponse → JSON.stringify.
      const trpc = JSON.stringify({
        id,
        jsonrpc: jsonrpc ? '2.0' : undefined,
        result: { type: 'data', id: 'g-1:42', data: superjson.serialize({ id: 'g-1:42', data }) },
      });
      expect(message).toBe(trpc);
    }
  });

  it('serializes one payload per distinct event and position', () => {
    const cache = new EventEncodingCache();
    const at = (frame: number) => ({ generation: 'g', frame });
    const a = cache.body(
      { type: 'invalidate', position: at(1), queries: ['q'], tables: ['t'] },
      's1',
      NONE_HELD,
    );
    const b = cache.body(
      { type: 'invalidate', position: at(1), queries: ['q'], tables: ['t'] },
      's2',
      NONE_HELD,
    );
    const c = cache.body(
      { type: 'invalidate', position: at(1), queries: ['r'], tables: ['t'] },
      's3',
      NONE_HELD,
    );
    const d = cache.body(
      { type: 'invalidate', position: at(2), queries: ['q'], tables: ['t'] },
      's1',
      NONE_HELD,
    );
    expect(b).toBe(a);
    expect(c).not.toBe(a);
    expect(d).toContain('"g:2"');
  });

  it('encodes each message once per request envelope and shares the buffer', () => {
    const cache = new EventEncodingCache();
    const event = {
      type: 'invalidate',
      position: { generation: 'g', frame: 1 },
      queries: ['q'],
      tables: ['t'],
    } as const;
    const request = (id: number, jsonrpc: boolean) => ({
      idJson: String(id),
      jsonrpc,
      lastEventId: null,
      stopped: false,
    });
    const a = cache.message(event, request(1, false), 's1', NONE_HELD);
    expect(a.payload.toString('utf8')).toBe(
      encodeEventMessage(request(1, false), cache.body(event, 's1', NONE_HELD)),
    );
    expect(cache.message(event, request(1, false), 's2', NONE_HELD)).toBe(a);
    expect(cache.message(event, request(1, true), 's3', NONE_HELD).payload.toString('utf8')).toBe(
      encodeEventMessage(request(1, true), cache.body(event, 's3', NONE_HELD)),
    );
    expect(cache.message(event, request(2, false), 's4', NONE_HELD)).not.toBe(a);
    expect(
      cache.message(
        { ...event, position: { generation: 'g', frame: 2 } },
        request(1, false),
        's1',
        NONE_HELD,
      ),
    ).not.toBe(a);
  });
});
