import { useRef, useState } from "react";
import { useWidget } from "./context";
import { describeError } from "./errors";

/**
 * One change at a time from a dialog: `run` ignores calls while one is in flight (a ref, not
 * state, so a second click in the same tick sees the first), exposes `pending` for the button's
 * spinner, and turns a failure into a message to show in the dialog.
 */
export function usePendingAction() {
  const { messages } = useWidget();
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const running = useRef(false);

  async function run(action: () => Promise<void>): Promise<void> {
    if (running.current) return;
    running.current = true;
    setPending(true);
    setError(null);
    try {
      await action();
    } catch (failure) {
      setError(describeError(failure, messages));
    } finally {
      running.current = false;
      setPending(false);
    }
  }

  return { pending, error, setError, run };
}
