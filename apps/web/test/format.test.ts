import { describe, expect, it } from 'vitest';
import { formatAgo, formatCents, formatCentsCompact, formatInteger } from '../src/dashboard/format.ts';

describe('dashboard formatting', () => {
  it('shows integer cents as dollars', () => {
    expect(formatCents(123456)).toBe('$1,234.56');
    expect(formatCents(0)).toBe('$0.00');
    expect(formatCentsCompact(123456789)).toBe('$1.2M');
    expect(formatInteger(1234567)).toBe('1,234,567');
  });

  it('says how long ago in the largest whole unit, never negative', () => {
    const now = 10_000_000;
    expect(formatAgo(now - 3_000, now)).toBe('3 s ago');
    expect(formatAgo(now - 5 * 60_000, now)).toBe('5 min ago');
    expect(formatAgo(now - 2 * 3_600_000, now)).toBe('2 h ago');
    // A clock slightly ahead of this tab's (another server's timestamp) reads as now.
    expect(formatAgo(now + 1_500, now)).toBe('0 s ago');
  });
});
