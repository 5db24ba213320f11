import { startSqld } from '@liveframe/native/testing';
import { tempDir } from '../shared/temp-dir.ts';
import {
  addNote,
  collectEvents,
  migrate,
  openServerReplica,
  readAfter,
  rowChanges,
  writeOrFreeze,
} from './replica-pair.ts';

// A real primary (the pinned sqld binary) on free ports, two embedded replicas of it.
await using sqld = await startSqld();
using dir = tempDir('replicas');
console.log(`primary (sqld) at ${sqld.url}`);
// syncIntervalMs 0: B syncs only when asked, so what B sees below is due to waitForFrame alone.
await using a = await openServerReplica(dir.path, 'server-a', sqld.url, { syncIntervalMs: 0 });
await using b = await openServerReplica(dir.path, 'server-b', sqld.url, { syncIntervalMs: 0 });
await migrate(a);
await b.sync();

const stream = b.changes()[Symbol.asyncIterator]();
const { id, position } = await addNote(a, 'written on A');
console.log(
  `A wrote note #${id}; the write reached frame ${position.frame} (generation ${position.generation.slice(0, 8)}…)`,
);
console.log('A reads its own write at once:', a.all('SELECT * FROM note'));
console.log(`B is at frame ${b.position().frame} and sees:`, b.all('SELECT * FROM note'));
const onB = await readAfter(b, position, 'SELECT * FROM note');
console.log(`B after waitForFrame (frame ${b.position().frame}):`, onB.rows);
console.log(
  'B heard through the change log:',
  rowChanges(await collectEvents(stream, (e) => rowChanges(e).length > 0)),
);

// The primary crashes and comes back with a new generation: frame numbers start again.
await sqld.restart({ signal: 'SIGKILL' });
await b.sync(); // what the periodic sync (syncIntervalMs) does on a real server
const again = await readAfter(b, position, 'SELECT count(*) AS n FROM note');
console.log(
  `after a primary crash, the old frame on B: refetchAll=${again.refetchAll}, rows kept:`,
  again.rows,
);
const reason = (await collectEvents(stream, (e) => e.some((x) => x.type === 'refetch-all'))).find(
  (e) => e.type === 'refetch-all',
);
console.log("B's change stream says:", reason);
await stream.return?.();

// Disaster recovery: the primary is gone for good. A's next write fails with PRIMARY_UNAVAILABLE,
// so A freezes into a standalone local database and keeps serving writes.
await sqld.kill();
const local = await writeOrFreeze(a, 'INSERT INTO note(body) VALUES (?)', ['written after the primary died']);
console.log(
  `primary gone: A froze=${local.frozeNow}, wrote locally at frame ${local.position.frame} of a new generation:`,
  a.all('SELECT * FROM note'),
);
