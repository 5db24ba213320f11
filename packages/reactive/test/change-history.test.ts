import { describe, expect, it } from 'vitest';
import { ChangeHistory, summarizeChanges } from '../src/index.ts';

const at = (frame: number, generation = 'g') => ({ generation, frame });
const summary = (rowid: number) => summarizeChanges({ changes: [{ table: 't', op: 'update', rowid }] });
const frames = (history: ChangeHistory, after: number) =>
  [...history.since(at(after))].map((r) => r.position.frame);

describe('ChangeHistory', () => {
  it('covers every position from its floor to its head', () => {
    const history = new ChangeHistory(at(10), { maxEntries: 3 });
    for (const frame of [11, 12, 13]) history.append(at(frame), summary(frame));
    expect(history.coverage(at(10))).toEqual({ covered: true });
    expect(frames(history, 10)).toEqual([11, 12, 13]);
    expect(frames(history, 12)).toEqual([13]);
    expect(frames(history, 13)).toEqual([]);
    expect(history.coverage(at(9)).covered).toBe(false);
  });

  it('evicts by count: older positions become a gap', () => {
    const history = new ChangeHistory(at(0), { maxEntries: 2 });
    for (const frame of [1, 2, 3, 4]) history.append(at(frame), summary(frame));
    expect(history.length).toBe(2);
    expect(history.floor).toEqual(at(2));
    expect(history.coverage(at(2))).toEqual({ covered: true });
    expect(history.coverage(at(1))).toEqual({ covered: false, reason: 'position-behind-history' });
  });

  it('evicts by approximate bytes', () => {
    const history = new ChangeHistory(at(0), { maxBytes: 2000 });
    for (let frame = 1; frame <= 100; frame++) history.append(at(frame), summary(frame));
    expect(history.bytes).toBeLessThanOrEqual(2000);
    expect(history.length).toBeGreaterThan(0);
    expect(history.length).toBeLessThan(100);
    expect(history.coverage(at(0)).covered).toBe(false);
    expect(history.coverage(at(99)).covered).toBe(true);
  });

  it('refuses other generations and positions from the future', () => {
    const history = new ChangeHistory(at(5));
    expect(history.coverage(at(5, 'other'))).toEqual({ covered: false, reason: 'generation-changed' });
    expect(history.coverage(at(6))).toEqual({ covered: false, reason: 'position-ahead' });
  });

  it('reset forgets everything before the new position', () => {
    const history = new ChangeHistory(at(0));
    history.append(at(1), summary(1));
    history.reset(at(0, 'g2'));
    expect(history.length).toBe(0);
    expect(history.coverage(at(1)).covered).toBe(false);
    expect(history.coverage(at(0, 'g2')).covered).toBe(true);
  });

  it('replays records sharing the resume frame, since the client may have seen only some', () => {
    const history = new ChangeHistory(at(0));
    history.append(at(1), summary(1));
    history.append(at(2), summary(2)); // e.g. schema event at frame 2
    history.append(at(2), summary(3)); // and the row changes of the same commit
    expect(frames(history, 1)).toEqual([2, 2]);
    expect(frames(history, 2)).toEqual([2, 2]);
    expect(frames(history, 0)).toEqual([1, 2, 2]);
  });

  it('a resume at a shared frame whose first record was evicted is not covered', () => {
    const history = new ChangeHistory(at(0), { maxEntries: 1 });
    history.append(at(1), summary(1));
    history.append(at(1), summary(2));
    expect(history.floor).toEqual(at(1));
    expect(history.coverage(at(1)).covered).toBe(false);
    history.append(at(2), summary(3));
    expect(history.coverage(at(1)).covered).toBe(false);
    expect(history.coverage(at(2)).covered).toBe(true);
  });
});
