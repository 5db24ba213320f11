import { describe, expect, it } from 'vitest';
import { tempDir } from '../shared/temp-dir.ts';
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
