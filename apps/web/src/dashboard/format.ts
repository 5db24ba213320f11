const money = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });
const compactMoney = new Intl.NumberFormat('en-US', {
  style: 'currency',
  currency: 'USD',
  notation: 'compact',
  maximumFractionDigits: 1,
});
const integer = new Intl.NumberFormat('en-US');
const time = new Intl.DateTimeFormat('en-US', {
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hour12: false,
});

/** `123456` cents → `"$1,234.56"`. */
export function formatCents(cents: number): string {
  return money.format(cents / 100);
}

/** `123456789` cents → `"$1.2M"`, for chart axes. */
export function formatCentsCompact(cents: number): string {
  return compactMoney.format(cents / 100);
}

export function formatInteger(value: number): string {
  return integer.format(value);
}

/** Epoch ms → `"14:03:27"`. */
export function formatTime(epochMs: number): string {
  return time.format(epochMs);
}

/** Epoch ms → `"3 s ago"` / `"5 min ago"`, relative to `now`. */
export function formatAgo(epochMs: number, now: number): string {
  const seconds = Math.max(0, Math.round((now - epochMs) / 1000));
  if (seconds < 60) return `${seconds} s ago`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  return `${Math.round(minutes / 60)} h ago`;
}
