/**
 * Collects work by key during one turn of the event loop and hands it all over at the next
 * (setImmediate): what many requests ask for in one round of I/O is then done once. A lone
 * request waits only for that turn, never for a timer.
 */
export class NextTurnBatch<K, V> {
  private entries = new Map<K, V>();

  constructor(private readonly flush: (entries: Map<K, V>) => void) {}

  /** This turn's entry for `key`, made by `create` if it is the first. */
  entry(key: K, create: () => V): V {
    if (this.entries.size === 0) {
      setImmediate(() => {
        const entries = this.entries;
        this.entries = new Map();
        this.flush(entries);
      });
    }
    let value = this.entries.get(key);
    if (value === undefined) {
      value = create();
      this.entries.set(key, value);
    }
    return value;
  }
}

/**
 * Items queued during one turn of the event loop, handed over in order at the next
 * (setImmediate), for work with nothing to merge. Cheaper than a NextTurnBatch, whose Map hashes
 * every key: the verification routes queue one reply per request (bench/notes.md, 2026-12-06).
 */
export class NextTurnQueue<T> {
  private items: T[] = [];

  constructor(private readonly flush: (items: T[]) => void) {}

  push(item: T): void {
    if (this.items.length === 0) setImmediate(this.handOver);
    this.items.push(item);
  }

  private readonly handOver = () => {
    const items = this.items;
    this.items = [];
    this.flush(items);
  };
}
