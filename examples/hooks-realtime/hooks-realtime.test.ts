import type { ChangeSet } from '@liveframe/db-core';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../shared/temp-dir.ts';
import { followChanges, isVetoedWrite, openTodoDatabase } from './change-feed.ts';
import { type CommitNotice, isVetoed, RealtimeTodos } from './realtime-todos.ts';

describe('hooks-realtime', () => {
  it('delivers one notice per commit with every row change, in commit order', () => {
    using dir = tempDir('hooks');
    using todos = new RealtimeTodos(dir.file('todos.db'));
    const notices: CommitNotice[] = [];
    todos.subscribe((n) => notices.push(n));
    const a = todos.add('a');
    const b = todos.add('b');
    todos.complete(a);
    todos.batch((tx) => {
      tx.add('c');
      tx.complete(b);
    });
    todos.remove(a);
    expect(notices.map((n) => n.changes)).toEqual([
      [{ op: 'insert', table: 'todo', rowid: a }],
      [{ op: 'insert', table: 'todo', rowid: b }],
      [{ op: 'update', table: 'todo', rowid: a }],
      [
        { op: 'insert', table: 'todo', rowid: 3 },
        { op: 'update', table: 'todo', rowid: b },
      ],
      [{ op: 'delete', table: 'todo', rowid: a }],
    ]);
    const seqs = notices.map((n) => n.seq);
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
  });

  it('says nothing about a rolled-back transaction', () => {
    using dir = tempDir('hooks');
    using todos = new RealtimeTodos(dir.file('todos.db'));
    const notices: CommitNotice[] = [];
    todos.subscribe((n) => notices.push(n));
    expect(() =>
      todos.batch((tx) => {
        tx.add('gone');
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(notices).toEqual([]);
    expect(todos.list()).toEqual([]);
    todos.add('kept');
    expect(notices.map((n) => n.changes.length)).toEqual([1]);
  });

  it('turns a vetoed commit into a rollback with COMMIT_VETOED and no notice', () => {
    using dir = tempDir('hooks');
    using todos = new RealtimeTodos(dir.file('todos.db'));
    const notices: CommitNotice[] = [];
    todos.subscribe((n) => notices.push(n));
    todos.limitRowsPerCommit(2);
    let caught: unknown;
    try {
      todos.batch((tx) => {
        tx.add('1');
        tx.add('2');
        tx.add('3');
      });
    } catch (error) {
      caught = error;
    }
    expect(isVetoed(caught)).toBe(true);
    expect(notices).toEqual([]);
    expect(todos.list()).toEqual([]);
    todos.batch((tx) => {
      tx.add('1');
      tx.add('2');
    });
    expect(notices.map((n) => n.changes.length)).toEqual([2]);
    todos.limitRowsPerCommit(null);
  });
});

describe('hooks-realtime through db-core', () => {
  it('yields one change set per commit, in frame order, and nothing for rollbacks or vetoed commits', async () => {
    using dir = tempDir('hooks');
    await using db = await openTodoDatabase(dir.file('todos.db'));
    const stream = db.changes()[Symbol.asyncIterator]();
    const next = async () => {
      for (;;) {
        const result = await stream.next();
        if (result.done === true) throw new Error('stream ended');
        if (result.value.type === 'changes') return result.value.changeSet;
      }
    };

    const { position } = await db.run("INSERT INTO todo(title) VALUES ('a')");
    const first = await next();
    expect(first.changes).toEqual([{ table: 'todo', op: 'insert', rowid: 1 }]);
    expect(first.frame).toBe(position.frame);

    await expect(
      db.transaction(async (tx) => {
        await tx.run("INSERT INTO todo(title) VALUES ('rolled back')");
        throw new Error('nope');
      }),
    ).rejects.toThrow('nope');

    db.setCommitVeto((pending) => pending <= 1);
    let vetoed: unknown;
    try {
      await db.transaction(async (tx) => {
        await tx.run("INSERT INTO todo(title) VALUES ('x')");
        await tx.run("INSERT INTO todo(title) VALUES ('y')");
      });
    } catch (error) {
      vetoed = error;
    }
    expect(isVetoedWrite(vetoed)).toBe(true);
    db.setCommitVeto(null);

    await db.transaction(async (tx) => {
      await tx.run('UPDATE todo SET done = 1 WHERE id = 1');
      await tx.run("INSERT INTO todo(title) VALUES ('b')");
    });
    // The next change set is this transaction: the rollback and the veto produced none.
    const second = await next();
    expect(second.changes).toEqual([
      { table: 'todo', op: 'update', rowid: 1 },
      { table: 'todo', op: 'insert', rowid: 2 },
    ]);
    expect(second.frame).toBeGreaterThan(first.frame);
    expect(db.all('SELECT id, done FROM todo ORDER BY id')).toEqual([
      { id: 1, done: 1 },
      { id: 2, done: 0 },
    ]);
    await stream.return?.();
  });

  it('followChanges ends when its signal aborts', async () => {
    using dir = tempDir('hooks');
    await using db = await openTodoDatabase(dir.file('todos.db'));
    const controller = new AbortController();
    const seen: ChangeSet[] = [];
    const done = followChanges(
      db,
      (c) => {
        seen.push(c);
        controller.abort();
      },
      { signal: controller.signal },
    );
    await db.run("INSERT INTO todo(title) VALUES ('a')");
    await done;
    expect(seen.map((c) => c.changes)).toEqual([[{ table: 'todo', op: 'insert', rowid: 1 }]]);
  });
});
