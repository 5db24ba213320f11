import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  comparePositions,
  formatPosition,
  isAtOrPast,
  parsePosition,
  ReactiveError,
  tryParsePosition,
} from '../src/index.ts';

describe('frame positions', () => {
  it('orders frames within one generation and refuses to compare across generations', () => {
    expect(comparePositions({ generation: 'g', frame: 1 }, { generation: 'g', frame: 2 })).toBe(-1);
    expect(comparePositions({ generation: 'g', frame: 2 }, { generation: 'g', frame: 2 })).toBe(0);
    expect(comparePositions({ generation: 'g', frame: 3 }, { generation: 'g', frame: 2 })).toBe(1);
    expect(comparePositions({ generation: 'a', frame: 1 }, { generation: 'b', frame: 1 })).toBeNull();
  });

  it('isAtOrPast is false across generations', () => {
    expect(isAtOrPast({ generation: 'g', frame: 9 }, { generation: 'g', frame: 7 })).toBe(true);
    expect(isAtOrPast({ generation: 'g', frame: 6 }, { generation: 'g', frame: 7 })).toBe(false);
    expect(isAtOrPast({ generation: 'h', frame: 99 }, { generation: 'g', frame: 7 })).toBe(false);
  });

  it('round-trips through the tracked() id, including generations containing colons', () => {
    fc.assert(
      fc.property(fc.string(), fc.nat(), (generation, frame) => {
        expect(parsePosition(formatPosition({ generation, frame }))).toEqual({ generation, frame });
      }),
    );
    expect(formatPosition({ generation: 'g-7f3a', frame: 42 })).toBe('g-7f3a:42');
    expect(parsePosition('a:b:7')).toEqual({ generation: 'a:b', frame: 7 });
  });

  it.each(['', 'nocolon', 'g:', 'g:-1', 'g:1.5', 'g:01', 'g: 1', 'g:99999999999999999999'])(
    'rejects %j with INVALID_POSITION',
    (id) => {
      expect(() => parsePosition(id)).toThrow(ReactiveError);
      expect(tryParsePosition(id)).toBeNull();
      try {
        parsePosition(id);
      } catch (error) {
        expect((error as ReactiveError).code).toBe('INVALID_POSITION');
      }
    },
  );

  it('refuses to format a negative or fractional frame', () => {
    expect(() => formatPosition({ generation: 'g', frame: -1 })).toThrow(ReactiveError);
    expect(() => formatPosition({ generation: 'g', frame: 1.5 })).toThrow(ReactiveError);
  });
});
