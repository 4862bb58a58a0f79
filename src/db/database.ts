import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql, type Migration } from 'kysely';
import pg from 'pg';
import { invalid } from '../core/errors.js';
import * as m0001 from './migrations/0001_tracking.js';
import * as m0002 from './migrations/0002_registry.js';
import * as m0003 from './migrations/0003_dataset_versions.js';
import * as m0004 from './migrations/0004_evaluations.js';
import * as m0005 from './migrations/0005_serving.js';
import * as m0006 from './migrations/0006_monitoring.js';
import * as m0007 from './migrations/0007_alerts.js';
import * as m0008 from './migrations/0008_release_integrity.js';
import * as m0009 from './migrations/0009_model_integrity.js';
import type { DB } from './schema.js';

export type Dialect = 'sqlite' | 'postgres';

/**
 * The metadata store. The same code runs on both dialects; what differs is described here once.
 * `sqlite` is the raw better-sqlite3 handle, for the few hot paths that use cached prepared statements.
 */
export interface Database {
  db: Kysely<DB>;
  dialect: Dialect;
  sqlite: BetterSqlite3.Database | null;
  url: string;
  close(): Promise<void>;
}

const migrations = (dialect: Dialect): Record<string, Migration> => ({
  '0001_tracking': { up: (db) => m0001.up(db, dialect) },
  '0002_registry': { up: (db) => m0002.up(db, dialect) },
  '0003_dataset_versions': { up: (db) => m0003.up(db, dialect) },
  '0004_evaluations': { up: (db) => m0004.up(db, dialect) },
  '0005_serving': { up: (db) => m0005.up(db, dialect) },
  '0006_monitoring': { up: (db) => m0006.up(db, dialect) },
  '0007_alerts': { up: (db) => m0007.up(db, dialect) },
  '0008_release_integrity': { up: (db) => m0008.up(db, dialect) },
  '0009_model_integrity': { up: (db) => m0009.up(db, dialect) },
});

/** Parses `sqlite:path`, `sqlite:///abs/path`, a bare file path, or `postgres(ql)://...`. */
export function parseDatabaseUrl(url: string): { dialect: Dialect; target: string } {
  if (/^postgres(ql)?:\/\//.test(url)) return { dialect: 'postgres', target: url };
  if (url.startsWith('sqlite://')) return { dialect: 'sqlite', target: url.slice('sqlite://'.length) || ':memory:' };
  if (url.startsWith('sqlite:')) return { dialect: 'sqlite', target: url.slice('sqlite:'.length) || ':memory:' };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) {
    throw invalid(`Unsupported database URL "${url}": use sqlite:<path> or postgres://user@host:port/db.`);
  }
  return { dialect: 'sqlite', target: url };
}

export interface OpenOptions {
  /** PostgreSQL schema to use (created if missing); tests use one schema each. */
  pgSchema?: string;
  pgPoolSize?: number;
  /** Migrate only up to this migration (tests of a later migration's upgrade of existing rows); default: all. */
  migrateTo?: string;
}

export async function openDatabase(url: string, options: OpenOptions = {}): Promise<Database> {
  const { dialect, target } = parseDatabaseUrl(url);
  let database: Database;
  if (dialect === 'sqlite') {
    if (target !== ':memory:') mkdirSync(dirname(resolve(target)), { recursive: true });
    const handle = new BetterSqlite3(target);
    // WAL with synchronous=NORMAL: a commit survives a crash of the process (kill -9); only an OS crash can
    // lose the last transactions. busy_timeout covers another process (the CLI, a second server) holding the lock.
    handle.pragma('journal_mode = WAL');
    handle.pragma('synchronous = NORMAL');
    handle.pragma('busy_timeout = 10000');
    handle.pragma('cache_size = -65536');
    handle.pragma('temp_store = MEMORY');
    const db = new Kysely<DB>({ dialect: new SqliteDialect({ database: withStatementCache(handle) }) });
    // SQLite never gathers planner statistics by itself, and run search picks its starting index from them:
    // refresh them at open and hourly, as SQLite recommends for long-lived connections.
    const optimize = setInterval(() => handle.pragma('optimize'), 3_600_000).unref();
    database = {
      db,
      dialect,
      sqlite: handle,
      url,
      close: async () => {
        clearInterval(optimize);
        handle.pragma('optimize');
        await db.destroy();
      },
    };
  } else {
    const pool = new pg.Pool({
      connectionString: target,
      max: options.pgPoolSize ?? 10,
      // bigint and numeric columns hold epoch milliseconds and counts: plain JS numbers are exact for them.
      types: {
        getTypeParser: ((oid: number, format?: string) => {
          if (oid === 20 || oid === 1700) return (v: string) => Number(v);
          return pg.types.getTypeParser(oid, format as 'text');
        }) as typeof pg.types.getTypeParser,
      },
      ...(options.pgSchema ? { options: `-c search_path=${options.pgSchema}` } : {}),
    });
    if (options.pgSchema) {
      const client = await pool.connect();
      try {
        await client.query(`CREATE SCHEMA IF NOT EXISTS "${options.pgSchema}"`);
      } finally {
        client.release();
      }
    }
    const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
    database = { db, dialect, sqlite: null, url, close: () => db.destroy() };
  }
  await migrate(database, options.migrateTo);
  if (database.sqlite) database.sqlite.pragma('optimize = 0x10002');
  return database;
}

/**
 * The query builder prepares every query it runs; preparing costs as much as running a small statement, and the
 * same few statements serve almost every request. Reusing them is safe because the dialect runs one query at a time.
 */
function withStatementCache(handle: BetterSqlite3.Database, size = 500): BetterSqlite3.Database {
  const cache = new Map<string, BetterSqlite3.Statement>();
  return new Proxy(handle, {
    get(target, prop, receiver) {
      if (prop !== 'prepare') {
        const value: unknown = Reflect.get(target, prop, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      }
      return (source: string) => {
        let stmt = cache.get(source);
        if (stmt) {
          cache.delete(source);
        } else {
          stmt = target.prepare(source);
          if (cache.size >= size) cache.delete(cache.keys().next().value!);
        }
        cache.set(source, stmt);
        return stmt;
      };
    },
  });
}

async function migrate(database: Database, to?: string): Promise<void> {
  // Kysely looks for its migration table in every schema unless told which: another Slipway schema in the same
  // PostgreSQL database would make it skip creating ours.
  const schema =
    database.dialect === 'postgres'
      ? (await sql<{ s: string }>`SELECT current_schema() AS s`.execute(database.db)).rows[0]?.s
      : undefined;
  const migrator = new Migrator({
    db: database.db,
    ...(schema ? { migrationTableSchema: schema } : {}),
    provider: { getMigrations: async () => migrations(database.dialect) },
    migrationTableName: 'slipway_migrations',
    migrationLockTableName: 'slipway_migrations_lock',
  });
  const { error, results } = to === undefined ? await migrator.migrateToLatest() : await migrator.migrateTo(to);
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    throw new Error(`Database migration ${failed ?? ''} failed: ${(error as Error).message ?? String(error)}`);
  }
}
