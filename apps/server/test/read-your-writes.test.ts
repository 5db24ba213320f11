import { describe, expect, it } from 'vitest';
import { startServer } from '../src/testing/index.ts';
import { httpClient } from './support/live-client.ts';

describe('read-your-writes (local mode)', () => {
  it('accepts minFrame in the input envelope and the HTTP header, with typed errors', async () => {
    await using server = await startServer({ config: { minFrameTimeoutMs: 200 } });
    const http = httpClient(server.url);
    const { id, frame } = await http.orders.create.mutate({
      customerId: 1,
      items: [{ productId: 2, quantity: 1 }],
    });
    const colon = frame.lastIndexOf(':');
    const generation = frame.slice(0, colon);

    // Envelope: the procedure sees its own input.
    const viaEnvelope = await (http.orders.byId.query as (input: unknown) => Promise<{ id: number } | null>)({
      $liveframe: { minFrame: frame },
      input: { id },
    });
    expect(viaEnvelope?.id).toBe(id);
    const viaHeader = await httpClient(server.url, { 'x-liveframe-min-frame': frame }).orders.byId.query({
      id,
    });
    expect(viaHeader?.id).toBe(id);

    // A frame this server will not reach in time, another generation, garbage.
    const future = `${generation}:${Number(frame.slice(colon + 1)) + 1000}`;
    await expect(
      httpClient(server.url, { 'x-liveframe-min-frame': future }).orders.byId.query({ id }),
    ).rejects.toMatchObject({ data: { liveframe: { code: 'FRAME_TIMEOUT' }, code: 'TIMEOUT' } });
    await expect(
      httpClient(server.url, { 'x-liveframe-min-frame': 'elsewhere:1' }).orders.byId.query({ id }),
    ).rejects.toMatchObject({ data: { liveframe: { code: 'GENERATION_CHANGED' }, code: 'CONFLICT' } });
    await expect(
      httpClient(server.url, { 'x-liveframe-min-frame': 'nope' }).orders.byId.query({ id }),
    ).rejects.toMatchObject({ data: { liveframe: { code: 'INVALID_POSITION' } } });
  });

  it('200 write-then-read pairs over HTTP see their write', async () => {
    await using server = await startServer();
    const http = httpClient(server.url);
    let stale = 0;
    for (let i = 0; i < 200; i++) {
      const status = i % 2 === 0 ? 'paid' : 'shipped';
      const { frame } = await http.orders.setStatus.mutate({ id: 1 + (i % 50), status });
      const order = await httpClient(server.url, { 'x-liveframe-min-frame': frame }).orders.byId.query({
        id: 1 + (i % 50),
      });
      if (order?.status !== status) stale++;
    }
    expect(stale).toBe(0);
  });
});
