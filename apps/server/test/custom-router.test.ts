import {
  createRouter,
  formatPositionId,
  liveQuery,
  liveRouter,
  mutation,
  tablePermissions,
} from '@liveframe/server';
import { createTRPCClient, createWSClient, wsLink } from '@trpc/client';
import superjson from 'superjson';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { z } from 'zod';
import { startServer } from '../src/testing/index.ts';

const TODOS_SQL = `CREATE TABLE IF NOT EXISTS todos (
  id INTEGER PRIMARY KEY, tenant_id TEXT NOT NULL, title TEXT NOT NULL, done INTEGER NOT NULL DEFAULT 0)`;

const todosRouter = createRouter({
  list: liveQuery.query(({ ctx }) =>
    ctx.db.all<{ id: number; title: string }>('SELECT id, title FROM todos WHERE tenant_id = ? ORDER BY id', [
      ctx.identity.tenantId,
    ]),
  ),
  add: mutation.input(z.object({ title: z.string().min(1) })).mutation(async ({ ctx, input }) => {
    const { position } = await ctx.db.run('INSERT INTO todos (tenant_id, title) VALUES (?, ?)', [
      ctx.identity.tenantId,
      input.title,
    ]);
    return { frame: formatPositionId(position) };
  }),
});
const todoApp = createRouter({ live: liveRouter, todos: todosRouter });

describe('custom router', () => {
  it('serves the app router and schema it is given, with live invalidation, and no demo domain', async () => {
    await using server = await startServer({
      router: todoApp,
      schema: TODOS_SQL,
      permissions: tablePermissions({ admin: ['todos'] }),
    });
    const wsClient = createWSClient({
      url: server.wsUrl,
      WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
    });
    try {
      const trpc = createTRPCClient<typeof todoApp>({
        links: [wsLink({ client: wsClient, transformer: superjson })],
      });
      const events: { id: string; data: { type: string; queries?: string[] } }[] = [];
      let wake: (() => void) | undefined;
      const subscriptionId = 'custom-router-sub-1';
      const sub = trpc.live.events.subscribe(
        { subscriptionId },
        {
          onData: (event) => {
            events.push(event as (typeof events)[number]);
            wake?.();
          },
        },
      );
      const next = async () => {
        while (events.length === 0) await new Promise<void>((resolve) => (wake = resolve));
        return events.shift()!;
      };
      const ack = await next();
      expect(ack.data.type).toBe('live');
      await trpc.live.update.mutate({
        subscriptionId,
        add: [{ key: 'todos', path: 'todos.list', since: ack.id }],
      });
      const { frame } = await trpc.todos.add.mutate({ title: 'write docs' });
      const event = await next();
      expect(event).toMatchObject({ id: frame, data: { type: 'invalidate', queries: ['todos'] } });
      expect(await trpc.todos.list.query()).toEqual([{ id: 1, title: 'write docs' }]);
      const tables = server.services.database.driver.all<{ name: string }>(
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name = 'orders'",
      );
      expect(tables).toEqual([]);
      sub.unsubscribe();
    } finally {
      await wsClient.close();
    }
  });

  it('refuses a router without the live protocol', async () => {
    await expect(startServer({ router: createRouter({ todos: todosRouter }) })).rejects.toThrow(/liveRouter/);
  });
});
