import { tempDir } from '../shared/temp-dir.ts';
import { connectTodoClient } from '../shared/todo-client.ts';
import { type AppRouter, startTodoServer, tokenFor } from './todo-app.ts';

using dir = tempDir('drizzle-todos');
await using server = await startTodoServer(dir.file('todos.db'));
console.log(`server at ${server.url} (schema from drizzle-kit's migrations in ./drizzle)`);

await using ann = connectTodoClient<AppRouter>(server.wsUrl, tokenFor('ann', 'acme'));
await using bob = connectTodoClient<AppRouter>(server.wsUrl, tokenFor('bob', 'acme'));
await ann.watch({ todos: 'todos.list' });
console.log('ann watches todos.list:', await ann.trpc.todos.list.query());

const { id, frame } = await bob.trpc.todos.add.mutate({ title: 'write the docs' });
console.log(`bob added todo #${id}, the write reached frame ${frame}`);
const event = await ann.next();
console.log('ann hears:', event.data);
console.log('ann refetches:', await ann.trpc.todos.list.query());

await bob.trpc.todos.toggle.mutate({ id });
console.log('ann hears:', (await ann.next()).data);
console.log('ann refetches:', await ann.trpc.todos.list.query());
