import { describe, expect, it } from 'vitest';
import { readFloor } from '../src/trpc/read-floor.ts';

const at = (frame: number, generation = 'g') => ({ generation, frame });

describe('readFloor', () => {
  it("raises a query's floor to what the hub announced while the replica is behind it", () => {
    expect(readFloor(undefined, at(9), at(7))).toEqual(at(9));
    expect(readFloor(at(8), at(9), at(7))).toEqual(at(9));
    expect(readFloor(at(12), at(9), at(7))).toEqual(at(12));
  });

  it('leaves it alone when the replica has everything announced, or generations differ', () => {
    expect(readFloor(undefined, at(9), at(9))).toBeUndefined();
    expect(readFloor(at(12), at(9), at(10))).toEqual(at(12));
    expect(readFloor(undefined, at(9, 'old'), at(2, 'new'))).toBeUndefined();
    expect(readFloor(at(3, 'new'), at(9), at(7))).toEqual(at(3, 'new'));
  });
});
