import { createContext, useContext, useEffect, useState } from "react";

/** The current time, refreshed every `intervalMs` so relative times ("3 minutes ago") stay true. */
export function useNow(intervalMs = 30_000): Date {
  const [now, setNow] = useState(() => new Date());
  useEffect(() => {
    const timer = setInterval(() => {
      setNow(new Date());
    }, intervalMs);
    return () => {
      clearInterval(timer);
    };
  }, [intervalMs]);
  return now;
}

/**
 * The section's one ticking clock, handed to the elements that show a relative time. Read through
 * context, so a tick re-renders those elements only, not every row around them.
 */
export const NowContext = createContext<Date | null>(null);

/** The section's clock; outside a section, the time of this render. */
export function useSectionNow(): Date {
  return useContext(NowContext) ?? new Date();
}
