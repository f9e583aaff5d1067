import { useEffect, useState } from 'preact/hooks';

/** The current time, re-rendering every `everyMs`: for countdowns and waits. */
export function useNow(everyMs = 250) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}

/** 75 → "1:15" */
export function clock(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '—';
  const whole = Math.max(0, Math.round(seconds));
  const minutes = Math.floor(whole / 60);
  return `${minutes}:${String(whole % 60).padStart(2, '0')}`;
}

export const when = (iso) => (iso ? new Date(iso).toLocaleString() : '—');
