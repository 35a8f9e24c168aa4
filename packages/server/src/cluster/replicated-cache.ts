import type { ServerSlot, Services } from "../runtime.js";
import type { AnyDb } from "../storage/database.js";
import { type Announcement, wakeups } from "./wakeups.js";

/**
 * A read cache that stays correct across replicas on PostgreSQL: every write of a cached item
 * invalidates it here at once and, through LISTEN/NOTIFY, on every other replica. It serves only while
 * this replica's LISTEN connection is up; when that connection drops, the cache is bypassed, and when
 * it is back (notifications may have been missed meanwhile) everything cached is forgotten.
 *
 * A load that was in flight when its item was invalidated does not store what it read (it may be the
 * old value). What no cache can hide: another replica's write is seen here once its notification
 * has been acted on there: the writer waits until every live replica answered that it forgot the item
 * (or 500 ms, after which a replica that stayed silent is taken to be gone or deaf, and a deaf one
 * serves nothing from its cache), so a client that reads through another replica after its write was
 * answered reads the new value. Only a read racing the write itself may see the value from before it,
 * as it could without a cache.
 *
 * Items are addressed by a base key (what a write invalidates: a parameter) and a variant (what a
 * read asked: latest, a version, a label). On SQLite the server is the one process that writes, so
 * its own invalidations are all there are (with API workers, which read in processes of their own,
 * the cache is off).
 */
export class ReplicatedCache<V> {
  private items = new Map<string, Map<string, V>>();
  private size = 0;
  /** Counts invalidations: one that happens at tick T stops the stores of loads that started before T. */
  private clock = 0;
  /** When each base key was last invalidated (by `clock`); loads that started before do not store. */
  private invalidatedAt = new Map<string, number>();
  /** Loads that started before this mark do not store (everything was forgotten at the mark). */
  private floor = 0;
  hits = 0;
  misses = 0;

  constructor(
    private services: Services,
    private name: string,
    private limit = 10_000,
  ) {
    const wake = wakeups(services);
    wake.on("cache", (id) => {
      const colon = id.indexOf(":");
      if (id.slice(0, colon) === name) this.forget(id.slice(colon + 1));
    });
    wake.onResync(() => this.clear());
  }

  private get usable(): boolean {
    // SQLite: this process is the only writer, unless API worker processes answer the reads (they would
    // not hear of the writes the main process makes).
    if (this.services.engine === "sqlite") return this.services.config.apiWorkers === 0;
    return wakeups(this.services).listening;
  }

  /** The cached value, else `load()`'s (kept when nothing invalidated the base key meanwhile). Undefined results are cached too. */
  async get(base: string, variant: string, load: () => Promise<V>): Promise<V> {
    if (!this.usable) return load();
    const known = this.items.get(base);
    if (known?.has(variant)) {
      this.hits++;
      return known.get(variant) as V;
    }
    this.misses++;
    const started = this.clock;
    const value = await load();
    if (this.usable && started >= this.floor && (this.invalidatedAt.get(base) ?? -1) <= started) this.store(base, variant, value);
    return value;
  }

  private store(base: string, variant: string, value: V): void {
    if (this.size >= this.limit) this.clear();
    let m = this.items.get(base);
    if (!m) {
      m = new Map();
      this.items.set(base, m);
    }
    if (!m.has(variant)) this.size++;
    m.set(variant, value);
  }

  private forget(base: string): void {
    this.clock++;
    this.invalidatedAt.set(base, this.clock);
    const m = this.items.get(base);
    if (m) {
      this.size -= m.size;
      this.items.delete(base);
    }
    // The marks only matter for loads in flight: keep a bounded number, and when they are dropped
    // raise the floor so that no load from before stores.
    if (this.invalidatedAt.size > this.limit) {
      this.invalidatedAt.clear();
      this.floor = this.clock;
    }
  }

  /**
   * Runs a write of `base` (its transaction is `write`'s to run; it calls `announce(tx.db)` inside it):
   * the other replicas are told in that transaction, so they hear of it exactly when it commits, even if
   * this server dies the moment after. Once the write is over, `base` is forgotten here and, if it
   * committed, the promise resolves only when every live replica said it forgot it too (or after 500 ms).
   */
  async change<T>(base: string, write: (announce: (db: AnyDb) => Promise<void>) => Promise<T>): Promise<T> {
    let told: Announcement | undefined;
    let committed = false;
    try {
      const out = await write(async (db) => {
        told = await wakeups(this.services).announce(db, "cache", `${this.name}:${base}`);
      });
      committed = true;
      return out;
    } finally {
      this.forget(base);
      const t = told as Announcement | undefined;
      if (committed) await t?.confirmed();
      else t?.cancel();
    }
  }

  clear(): void {
    this.clock++;
    this.floor = this.clock;
    this.items.clear();
    this.invalidatedAt.clear();
    this.size = 0;
  }
}

/** One server's cache of a given name (created on first use). */
export function replicatedCache<V>(services: Services, slot: ServerSlot<ReplicatedCache<V>>): ReplicatedCache<V> {
  return services.own(slot);
}
