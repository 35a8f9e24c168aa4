import { useCallback, useState } from "react";

/**
 * What a form's action needs: `busy` while it runs, the `error` it threw (for ErrorAlert; cleared when
 * the action starts again), and `submitting(work)` that runs it so.
 */
export function useSubmit(): {
  busy: boolean;
  error: unknown;
  setError: (e: unknown) => void;
  submitting: (work: () => Promise<unknown>) => Promise<void>;
} {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const submitting = useCallback(async (work: () => Promise<unknown>) => {
    setBusy(true);
    setError(undefined);
    try {
      await work();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, setError, submitting };
}
