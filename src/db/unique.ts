/** A write refused because another row already holds the same key (both dialects report it differently). */
export interface UniqueViolation {
  /** Table of the clashing row, when the driver says. */
  table: string | undefined;
  /** Columns of the clashing key, when the driver says. */
  columns: string[];
}

/**
 * The one place that recognises a unique-key violation from either driver: PostgreSQL's SQLSTATE 23505, or
 * better-sqlite3's SQLITE_CONSTRAINT_UNIQUE / SQLITE_CONSTRAINT_PRIMARYKEY. Anything else answers null.
 *
 * SQLite serialises writers, so a check-then-insert never races there; on PostgreSQL two transactions can pass
 * the same check and the second insert fails here. Create paths turn this into the ALREADY_EXISTS the check
 * would have given (see `onDuplicate`), and the server maps any left over to ALREADY_EXISTS as well.
 */
export function uniqueViolation(err: unknown): UniqueViolation | null {
  const e = err as { code?: unknown; table?: unknown; detail?: unknown; message?: unknown } | null;
  if (!e || typeof e !== 'object') return null;
  if (e.code === '23505') {
    // detail reads `Key (name, digest)=(…) already exists.`: keep the column names, never the values.
    const cols = typeof e.detail === 'string' ? /^Key \(([^)]*)\)=/.exec(e.detail)?.[1] : undefined;
    return { table: typeof e.table === 'string' ? e.table : undefined, columns: cols ? cols.split(',').map((c) => c.trim()) : [] };
  }
  if (e.code === 'SQLITE_CONSTRAINT_UNIQUE' || e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    // message reads `UNIQUE constraint failed: table.a, table.b`
    const refs = typeof e.message === 'string' ? (e.message.split(': ')[1] ?? '').split(',').map((r) => r.trim().split('.')) : [];
    return { table: refs[0]?.length === 2 ? refs[0][0] : undefined, columns: refs.map((r) => r[r.length - 1]!).filter(Boolean) };
  }
  return null;
}

/**
 * Runs `work` (usually a whole transaction: on PostgreSQL a failed statement spoils the rest of it) and, when it
 * fails on a unique key, throws what `duplicate` makes of it instead, e.g. `alreadyExists("Experiment 'x' …")`.
 */
export async function onDuplicate<T>(work: () => Promise<T>, duplicate: (v: UniqueViolation) => Error): Promise<T> {
  try {
    return await work();
  } catch (err) {
    const v = uniqueViolation(err);
    throw v ? duplicate(v) : err;
  }
}

/**
 * Runs `work` again, up to `attempts` times, when it fails on a unique key: for creates that pick the next number
 * (a version) or that are idempotent (the same content again), where a fresh read after the clash gives the right
 * answer. After the last attempt, `onDuplicate`'s `duplicate` decides what the caller hears.
 */
export async function retryOnDuplicate<T>(work: () => Promise<T>, attempts: number, duplicate: (v: UniqueViolation) => Error): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await work();
    } catch (err) {
      const v = uniqueViolation(err);
      if (!v) throw err;
      if (i >= attempts) throw duplicate(v);
    }
  }
}

/** A message for a clash no create path named itself: the kind of thing and the key, never the values. */
export function describeDuplicate(v: UniqueViolation): string {
  const thing = v.table ? v.table.replaceAll('_', ' ').replace(/s$/, '') : 'record';
  const key = v.columns.length > 0 ? ` with the same ${v.columns.join(', ')}` : '';
  return `${/^[aeiou]/.test(thing) ? 'An' : 'A'} ${thing}${key} already exists (it may have been created at the same moment). Use the existing one, or choose another name.`;
}
