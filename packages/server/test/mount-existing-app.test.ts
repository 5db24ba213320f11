import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sendRequestsPromptly } from '@liveframe/reactive';
import { createTRPCClient, createWSClient, httpLink, wsLink } from '@trpc/client';
import { initTRPC } from '@trpc/server';
import superjson from 'superjson';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { z } from 'zod';
import {
  createLiveframe,
  createLiveframeMiddleware,
  formatLiveframeError,
  formatPositionId,
  type LiveEventData,
  type LiveframeContext,
  type LiveframeMeta,
  liveRouter,
} from '../src/index.ts';
import { resolvePaths } from '../src/testing/index.ts';

/** The app's own identity shape: liveframe treats it as opaque. */
interface Member {
  readonly memberId: string;
  readonly org: string;
}

/** The app's own tRPC instance: its context extends liveframe's, plus a field of its own. */
type AppContext = LiveframeContext<Member> & { readonly requestTag: string };
const t = initTRPC
  .context<AppContext>()
  .meta<LiveframeMeta>()
  .create({ transformer: superjson, errorFormatter: formatLiveframeError });
const procedure = t.procedure.use(createLiveframeMiddleware(t));

const appRouter = t.router({
  live: liveRouter,
  notes: t.router({
    list: procedure.meta({ live: true }).query(({ ctx }) => ({
      tag: ctx.requestTag,
      notes: ctx.db.all<{ id: number; body: string }>(
        'SELECT id, body FROM notes WHERE org = ? ORDER BY id',
        [ctx.identity.org],
      ),
    })),
    add: procedure.input(z.object({ body: z.string().min(1) })).mutation(async ({ ctx, input }) => {
      const { position } = await ctx.db.run('INSERT INTO notes (org, body) VALUES (?, ?)', [
        ctx.identity.org,
        input.body,
      ]);
      return { frame: formatPositionId(position) };
    }),
  }),
});

const tokens: Record<string, Member> = { alice: { memberId: 'a', org: 'acme' } };

describe('liveframe mounted in an existing app', () => {
  it('serves an app router built with its own initTRPC on its own http server, at its own path', async () => {
    const { dbPath, cleanup } = await resolvePaths({});
    const liveframe = await createLiveframe<Member>({
      router: appRouter,
      schema:
        'CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, org TEXT NOT NULL, body TEXT NOT NULL)',
      config: { dbPath, logLevel: 'silent' },
      authenticate: (token) => (token === undefined ? null : (tokens[token] ?? null)),
      createContext: (base, { req }) => ({ ...base, requestTag: req === undefined ? 'derive' : 'request' }),
      paths: { trpc: '/api/trpc', health: '/api/health' },
    });
    // The app's own server and routes; liveframe answers only its paths.
    const server = createServer((req, res) => {
      if (liveframe.handleRequest(req, res)) return;
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`app route ${req.url}`);
    });
    server.on('upgrade', (req, socket, head) => {
      if (!liveframe.handleUpgrade(req, socket, head)) socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    const wsClient = createWSClient({
      url: `ws://${base}/api/trpc`,
      WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
      connectionParams: { token: 'alice' },
    });
    sendRequestsPromptly(wsClient);
    try {
      expect(await (await fetch(`http://${base}/about`)).text()).toBe('app route /about');
      const health = (await (await fetch(`http://${base}/api/health`)).json()) as { status: string };
      expect(health.status).toBe('ok');
      const trpc = createTRPCClient<typeof appRouter>({
        links: [wsLink({ client: wsClient, transformer: superjson })],
      });
      const events: LiveEventData[] = [];
      let wake: (() => void) | undefined;
      const next = async (): Promise<LiveEventData> => {
        const end = Date.now() + 10_000;
        while (events.length === 0) {
          if (Date.now() > end) throw new Error('no live event within 10 s');
          await new Promise<void>((resolve) => {
            wake = resolve;
            setTimeout(resolve, 100);
          });
        }
        return events.shift()!;
      };
      const subscriptionId = 'mounted-app-subscription';
      const sub = trpc.live.events.subscribe(
        { subscriptionId },
        {
          onData: (event) => {
            events.push((event as { data: LiveEventData }).data);
            wake?.();
          },
        },
      );
      const ack = await next();
      expect(ack.type).toBe('live');
      await trpc.live.update.mutate({
        subscriptionId,
        add: [{ key: 'notes', path: 'notes.list', since: ack.position }],
      });
      // Over plain HTTP on the app's server, with the app's context.
      const http = createTRPCClient<typeof appRouter>({
        links: [
          httpLink({
            url: `http://${base}/api/trpc`,
            transformer: superjson,
            headers: { authorization: 'Bearer alice' },
          }),
        ],
      });
      const { frame } = await http.notes.add.mutate({ body: 'first' });
      const event = await next();
      expect(event).toMatchObject({ type: 'invalidate', queries: ['notes'], position: frame });
      const runs = async () => {
        const text = await (await fetch(`http://${base}/metrics`)).text();
        return Number(/^liveframe_live_query_runs_total (\d+)$/m.exec(text)?.[1]);
      };
      const before = await runs();
      expect(before).toBeGreaterThan(0); // the registration ran it to learn what it reads
      expect(await trpc.notes.list.query()).toEqual({ tag: 'request', notes: [{ id: 1, body: 'first' }] });
      expect(await runs()).toBeGreaterThan(before);
      // Unauthenticated requests are refused with liveframe's code.
      await expect(
        createTRPCClient<typeof appRouter>({
          links: [httpLink({ url: `http://${base}/api/trpc`, transformer: superjson })],
        }).notes.list.query(),
      ).rejects.toMatchObject({ data: { liveframe: { code: 'UNAUTHENTICATED' } } });
      sub.unsubscribe();
    } finally {
      await wsClient.close();
      await liveframe.close();
      await new Promise((resolve) => server.close(resolve));
      await cleanup();
    }
  });
});
