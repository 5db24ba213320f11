import { tempDir } from '../shared/temp-dir.ts';
import { connectTodoClient } from '../shared/todo-client.ts';
import { type AppRouter, startTodoServer, tokenFor } from './todo-app.ts';

using dir = tempDir('kysely-todos');
await using server = await startTodoServer(dir.file('todos.db'));
console.log(`server at ${server.url} (schema from ./migrations)`);

await using ann = connectTodoClient<AppRouter>(server.wsUrl, tokenFor('ann', 'acme'));
await using bob = connectTodoClient<AppRouter>(server.wsUrl, tokenFor('bob', 'acme'));
await bob.trpc.todos.add.mutate({ title: 'pick a query builder' });
await ann.watch({ list: 'todos.list' });
console.log('ann watches todos.list:', await ann.trpc.todos.list.query());

const { id, frame } = await bob.trpc.todos.add.mutate({ title: 'try Kysely' });
console.log(`bob added todo #${id} at frame ${frame}; ann hears:`, (await ann.next()).data);
console.log('ann refetches:', await ann.trpc.todos.list.query());

const { completed } = await bob.trpc.todos.completeAll.mutate();
console.log(`bob completed ${completed} todos in one transaction; ann hears:`, (await ann.next()).data);
console.log('ann refetches:', await ann.trpc.todos.list.query());
