import { describe, expect, it } from 'vitest';
import { formatFramePosition, isAtOrPast, laterPosition, parseFramePosition } from '../src/frame-position.ts';

describe('frame positions', () => {
  it('compares frames only within one generation', () => {
    expect(isAtOrPast({ generation: 'g', frame: 9 }, { generation: 'g', frame: 9 })).toBe(true);
    expect(isAtOrPast({ generation: 'g', frame: 8 }, { generation: 'g', frame: 9 })).toBe(false);
    expect(isAtOrPast({ generation: 'h', frame: 99 }, { generation: 'g', frame: 9 })).toBe(false);
  });

  it('keeps the later position and follows a generation change', () => {
    expect(laterPosition(null, { generation: 'g', frame: 1 })).toEqual({ generation: 'g', frame: 1 });
    expect(laterPosition({ generation: 'g', frame: 5 }, { generation: 'g', frame: 3 }).frame).toBe(5);
    expect(laterPosition({ generation: 'g', frame: 5 }, { generation: 'h', frame: 2 })).toEqual({
      generation: 'h',
      frame: 2,
    });
  });

  it('round-trips event ids and rejects garbage', () => {
    expect(parseFramePosition(formatFramePosition({ generation: 'a:b', frame: 42 }))).toEqual({
      generation: 'a:b',
      frame: 42,
    });
    for (const bad of ['', '42', 'g:', 'g:-1', 'g:01', 'g:1.5', 'g:99999999999999999999']) {
      expect(parseFramePosition(bad)).toBeNull();
    }
  });
});
