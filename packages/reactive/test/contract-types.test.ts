import type * as db from '@liveframe/db-core';
import { describe, expectTypeOf, it } from 'vitest';
import type * as reactive from '../src/index.ts';

/**
 * reactive states db-core's change-capture contract itself (no dependency); both must stay equal.
 * Checked by the type checker (`npm run typecheck` compiles tests): a mismatch fails it.
 */
describe('change-capture contract types', () => {
  it('are the same in db-core and reactive', () => {
    expectTypeOf<db.FramePosition>().toEqualTypeOf<reactive.FramePosition>();
    expectTypeOf<db.TableChange>().toEqualTypeOf<reactive.TableChange>();
    expectTypeOf<db.ChangeSet>().toEqualTypeOf<reactive.ChangeSet>();
    expectTypeOf<db.CaptureEvent>().toEqualTypeOf<reactive.CaptureEvent>();
    expectTypeOf<db.ChangeOp>().toEqualTypeOf<reactive.ChangeOp>();
  });
});
