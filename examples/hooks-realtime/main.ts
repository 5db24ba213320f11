import { tempDir } from '../shared/temp-dir.ts';
import { followChanges, openTodoDatabase } from './change-feed.ts';
import { isVetoed, RealtimeTodos } from './realtime-todos.ts';

// A local-mode app reacting to its own commits: every committed transaction prints one line,
// rolled-back work prints nothing.
using dir = tempDir('hooks');
using todos = new RealtimeTodos(dir.file('todos.db'));
todos.subscribe(({ seq, changes }) => {
  const summary = changes.map((c) => `${c.op} ${c.table}#${c.rowid}`).join(', ');
  console.log(`commit ${seq}: ${summary}`);
});

const milk = todos.add('buy milk');
const docs = todos.add('write docs');
todos.complete(milk);
todos.batch((tx) => {
  tx.add('review PR');
  tx.complete(docs);
});

try {
  todos.batch((tx) => {
    tx.add('this will be rolled back');
    throw new Error('validation failed');
  });
} catch (error) {
  console.log(`rolled back (${(error as Error).message}): no commit notice`);
}

todos.limitRowsPerCommit(2);
try {
  todos.batch((tx) => {
    tx.add('one');
    tx.add('two');
    tx.add('three');
  });
} catch (error) {
  if (!isVetoed(error)) throw error;
  console.log('commit vetoed (more than 2 rows): no commit notice');
}
todos.limitRowsPerCommit(null);
todos.remove(milk);

console.log('final rows:', todos.list());

// The same through @liveframe/db-core, as the server consumes it: one ChangeSet per commit.
await using db = await openTodoDatabase(dir.file('todos-db-core.db'));
const controller = new AbortController();
const feed = followChanges(
  db,
  (changeSet) => {
    console.log(`db-core change set at frame ${changeSet.frame}:`, changeSet.changes);
    if (changeSet.changes.some((c) => c.op === 'delete')) controller.abort();
  },
  { signal: controller.signal },
);
await db.run("INSERT INTO todo(title) VALUES ('through db-core')");
await db
  .transaction(async (tx) => {
    await tx.run("INSERT INTO todo(title) VALUES ('rolled back')");
    throw new Error('validation failed');
  })
  .catch(() => console.log('db-core transaction rolled back: no change set'));
await db.run('DELETE FROM todo WHERE id = 1');
await feed;
