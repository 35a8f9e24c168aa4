/** Follows NextToken through a listing, up to `max` items (a console page shows what a person can read). */
export async function fetchAll<T>(
  page: (token?: string) => Promise<{ items: T[] | undefined; next?: string }>,
  max = 1000,
): Promise<{ items: T[]; more: boolean }> {
  const items: T[] = [];
  let token: string | undefined;
  do {
    const r = await page(token);
    items.push(...(r.items ?? []));
    token = r.next;
  } while (token && items.length < max);
  return { items, more: Boolean(token) };
}

/** Runs `fn` over `items`, `limit` at a time. */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
