import { describe, expect, it } from 'vitest';
import { tempDir } from '../shared/temp-dir.ts';
import { connectTodoClient } from '../shared/todo-client.ts';
import { type AppRouter, startTodoServer, tokenFor } from './todo-app.ts';

describe('drizzle-todos', () => {
  it("applies drizzle-kit's migrations, keeps the Drizzle list live and reads its own writes", async () => {
    using dir = tempDir('drizzle-todos');
    await using server = await startTodoServer(dir.file('todos.db'));
    await using ann = connectTodoClient<AppRouter>(server.wsUrl, tokenFor('ann', 'acme'));
    await using bob = connectTodoClient<AppRouter>(server.wsUrl, tokenFor('bob', 'acme'));
    await using eve = connectTodoClient<AppRouter>(server.wsUrl, tokenFor('eve', 'globex'));
    await ann.watch({ todos: 'todos.list' });
    expect(await ann.trpc.todos.list.query()).toEqual([]);

    const { id, frame } = await bob.trpc.todos.add.mutate({ title: 'write the docs' });
    // The event names the query, at the write's frame (ctx.db.lastWrite).
    expect(await ann.next()).toEqual({
      id: frame,
      data: { type: 'invalidate', position: frame, queries: ['todos'], tables: ['todos'] },
    });
    expect(await ann.trpc.todos.list.query()).toEqual([{ id, title: 'write the docs', done: 0 }]);

    const toggled = await bob.trpc.todos.toggle.mutate({ id });
    expect((await ann.next()).id).toBe(toggled.frame);
    expect(await ann.trpc.todos.list.query()).toEqual([{ id, title: 'write the docs', done: 1 }]);
    // Rows are scoped to the tenant: globex sees none of acme's, and cannot toggle them.
    expect(await eve.trpc.todos.list.query()).toEqual([]);
    expect(await eve.trpc.todos.toggle.mutate({ id })).toEqual({ frame: null });
  });
});
