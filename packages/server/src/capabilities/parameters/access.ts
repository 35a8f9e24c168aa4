/** Calls `load` once, on first use (tags shared by a filter and a policy condition). */
export function once<T>(load: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => (p ??= load());
}
