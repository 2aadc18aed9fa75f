import { useEffect, useState } from 'preact/hooks';

/**
 * The current time for relative times: re-renders every `intervalMs`, and any render in between
 * (new data, say) reads the clock afresh, so a delivery just loaded never looks like it is in the future.
 */
export function useNow(intervalMs: number): number {
  const [, setTick] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => setTick((tick) => tick + 1), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return Date.now();
}

/** Whether the tab is visible: live views poll only then. */
export function useVisible(): boolean {
  const [visible, setVisible] = useState(() => !document.hidden);
  useEffect(() => {
    const onChange = () => setVisible(!document.hidden);
    document.addEventListener('visibilitychange', onChange);
    return () => document.removeEventListener('visibilitychange', onChange);
  }, []);
  return visible;
}
