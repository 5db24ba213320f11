import { useEffect, useState } from 'react';

/** The current time, re-rendering every `intervalMs` so relative times ("3 s ago") stay right. */
export function useNow(intervalMs: number): number {
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}
