import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startServer } from '../src/testing/index.ts';
import { httpClient } from './support/live-client.ts';

/** Sends raw frames on one socket and counts answers; resolves when the socket is done. */
function rawSession(
  url: string,
  frames: readonly (string | Buffer)[],
): Promise<{ answers: unknown[]; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const answers: unknown[] = [];
    const deadline = setTimeout(() => {
      ws.terminate();
      reject(new Error('raw session did not finish'));
    }, 30_000);
    ws.on('message', (data) => {
      const text = data.toString();
      answers.push(text === 'PONG' ? 'PONG' : JSON.parse(text));
    });
    ws.on('open', () => {
      for (const frame of frames) ws.send(frame);
      // A final valid request: its answer proves every earlier frame was processed.
      ws.send(
        JSON.stringify({ id: 'final', method: 'query', params: { path: 'whoami', input: { json: null } } }),
      );
    });
    ws.on('message', (data) => {
      const text = data.toString();
      if (text.includes('"final"')) ws.close();
    });
    ws.on('close', () => {
      clearTimeout(deadline);
      resolve({ answers, closed: true });
    });
    ws.on('error', () => undefined);
  });
}

const junkFrame = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.json().map((j) => j),
  fc
    .record({
      id: fc.oneof(fc.integer(), fc.string({ maxLength: 10 }), fc.constant(null)),
      method: fc.oneof(
        fc.constantFrom('query', 'mutation', 'subscription', 'subscription.stop', 'nope'),
        fc.string(),
      ),
      params: fc.oneof(
        fc.anything(),
        fc.record({
          path: fc.oneof(
            fc.constantFrom(
              'orders.byId',
              'live.update',
              'live.events',
              'orders.create',
              'constructor',
              '__proto__',
            ),
            fc.string({ maxLength: 30 }),
          ),
          input: fc.oneof(fc.anything(), fc.record({ json: fc.anything() })),
          lastEventId: fc.oneof(fc.string({ maxLength: 40 }), fc.integer()),
        }),
      ),
    })
    .map((r) => JSON.stringify(r)),
  fc.uint8Array({ maxLength: 100 }).map((b) => Buffer.from(b)),
);

describe('fuzzing the WebSocket and tRPC inputs', () => {
  it('answers 10,000 malformed frames with typed errors or clean closes, stays up, memory bounded', async () => {
    await using server = await startServer();
    const frames = fc.sample(junkFrame, { numRuns: 10_000, seed: 1234 });
    const rssBefore = process.memoryUsage.rss();
    let answered = 0;
    for (let i = 0; i < frames.length; i += 500) {
      const { answers } = await rawSession(server.wsUrl, frames.slice(i, i + 500));
      for (const answer of answers) {
        if (answer === 'PONG') continue;
        const error = (answer as { error?: { data?: { code?: string } } }).error;
        if (error !== undefined) {
          // Never an internal error: malformed input is the client's fault.
          expect(error.data?.code).not.toBe('INTERNAL_SERVER_ERROR');
        }
        answered++;
      }
    }
    expect(answered).toBeGreaterThan(0);
    // Oversized frames close that socket only (maxPayload).
    await rawSession(server.wsUrl, [Buffer.alloc(2 * 1024 * 1024, 1)]).catch(() => undefined);
    const health = await fetch(`${server.url}/health`);
    expect(health.status).toBe(200);
    expect(process.memoryUsage.rss() - rssBefore).toBeLessThan(300 * 1024 * 1024);
  });

  it('rejects random tRPC inputs to every procedure with BAD_REQUEST-class errors, never 500', async () => {
    await using server = await startServer();
    const http = httpClient(server.url);
    const procedures = [
      (x: unknown) => (http.orders.byId.query as (i: unknown) => Promise<unknown>)(x),
      (x: unknown) => (http.orders.list.query as (i: unknown) => Promise<unknown>)(x),
      (x: unknown) => (http.orders.create.mutate as (i: unknown) => Promise<unknown>)(x),
      (x: unknown) => (http.orders.setStatus.mutate as (i: unknown) => Promise<unknown>)(x),
      (x: unknown) => (http.live.update.mutate as (i: unknown) => Promise<unknown>)(x),
      (x: unknown) => (http.dashboard.revenueSeries.query as (i: unknown) => Promise<unknown>)(x),
    ];
    const inputs = fc.sample(fc.tuple(fc.nat(procedures.length - 1), fc.anything()), {
      numRuns: 600,
      seed: 99,
    });
    for (const [index, input] of inputs) {
      try {
        await procedures[index]!(input);
      } catch (error) {
        const data = (error as { data?: { code?: string; liveframe?: { code: string } } }).data;
        expect(data?.code).not.toBe('INTERNAL_SERVER_ERROR');
        expect(typeof data?.liveframe?.code).toBe('string');
      }
    }
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });
});
