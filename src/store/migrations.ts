/**
 * @module store/migrations
 * The schema, as an ordered list of versioned migrations, one SQL text per engine (kept side by side so they
 * stay alike), and the check that a database's applied migrations are ones this code knows.
 *
 * Decimals are TEXT in both engines: what was written is returned byte for byte (no REAL, no NUMERIC
 * normalisation). Timestamps are integer milliseconds. JSON values are TEXT (not JSONB, which would reorder
 * keys and change the bytes).
 */
import { InputError } from '../model/index.js'

export interface Migration {
  /** 1, 2, 3, … without gaps. */
  readonly version: number
  /** Stored beside the version so a database migrated by a different build is noticed. */
  readonly name: string
  readonly sqlite: string
  readonly postgres: string
}

/** `schema_migrations` is created before any migration runs; its shape is the same in both engines. */
export const SCHEMA_MIGRATIONS_SQL = {
  sqlite: `CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  applied_at INTEGER NOT NULL
)`,
  postgres: `CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  applied_at BIGINT NOT NULL
)`,
} as const

type Engine = 'sqlite' | 'postgres'

/** Whole numbers (timestamps, sequences): 64-bit in both, spelled as each engine spells it. */
const INT: Record<Engine, string> = { sqlite: 'INTEGER', postgres: 'BIGINT' }

/**
 * The fills table. `id` keeps insertion order for (timestamp, id) iteration: in SQLite it is assigned by the
 * store under the write lock; several writers may share a PostgreSQL store, so there it is an identity column.
 */
function fillsTable(e: Engine, name: string, key: string): string {
  const id = e === 'sqlite' ? 'id INTEGER NOT NULL UNIQUE' : 'id BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE'
  return `CREATE TABLE ${name} (
  venue TEXT NOT NULL,
  trade_id TEXT NOT NULL,
  ${id},
  client_order_id TEXT NOT NULL,
  venue_order_id TEXT NOT NULL,
  strategy_id TEXT NOT NULL,
  symbol TEXT NOT NULL,
  side TEXT NOT NULL,
  price TEXT NOT NULL,
  amount TEXT NOT NULL,
  cost TEXT NOT NULL,
  fee_cost TEXT NOT NULL,
  fee_currency TEXT NOT NULL,
  taker_or_maker TEXT NOT NULL,
  timestamp ${INT[e]} NOT NULL,
  PRIMARY KEY (${key})
);`
}

/** The first schema, in one engine's SQL. */
function initialSchema(e: Engine): string {
  const int = INT[e]
  const fillIdNote =
    e === 'sqlite'
      ? `-- id keeps insertion order for (timestamp, id) iteration; assigned by the store under the write lock
-- (an explicit column, because VACUUM may renumber the implicit rowid of a table without INTEGER PRIMARY KEY).`
      : `-- id keeps insertion order for (timestamp, id) iteration; several writers may share a PostgreSQL store,
-- so it comes from an identity column rather than from the store.`
  const depositId = e === 'sqlite' ? 'id INTEGER PRIMARY KEY AUTOINCREMENT' : 'id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY'
  return `
CREATE TABLE orders (
  client_order_id TEXT PRIMARY KEY,
  strategy_id TEXT NOT NULL,
  venue TEXT NOT NULL,
  symbol TEXT NOT NULL,
  type TEXT NOT NULL,
  side TEXT NOT NULL,
  amount TEXT NOT NULL,
  price TEXT,
  decision_price TEXT,
  state TEXT NOT NULL,
  venue_order_id TEXT,
  filled TEXT NOT NULL,
  cost TEXT NOT NULL,
  reason TEXT,
  created_at ${int} NOT NULL,
  updated_at ${int} NOT NULL
);
CREATE INDEX orders_state ON orders (state);
${fillIdNote}
${fillsTable(e, 'fills', 'venue, trade_id')}
CREATE INDEX fills_timestamp ON fills (timestamp, id);
CREATE TABLE deposits (
  ${depositId},
  venue TEXT NOT NULL,
  asset TEXT NOT NULL,
  amount TEXT NOT NULL,
  ts ${int} NOT NULL,
  reason TEXT NOT NULL
);
CREATE TABLE state (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE sequences (
  strategy_id TEXT PRIMARY KEY,
  next ${int} NOT NULL
);
CREATE TABLE strategy_versions (
  strategy TEXT NOT NULL,
  version TEXT NOT NULL,
  status TEXT NOT NULL,
  params TEXT NOT NULL,
  code_hash TEXT NOT NULL,
  artifact TEXT NOT NULL,
  validation TEXT NOT NULL,
  created_at ${int} NOT NULL,
  PRIMARY KEY (strategy, version)
);
CREATE TABLE reports (
  kind TEXT NOT NULL,
  date TEXT NOT NULL,
  path TEXT NOT NULL,
  created_at ${int} NOT NULL,
  summary TEXT NOT NULL,
  PRIMARY KEY (kind, date, path)
);
CREATE TABLE audit (
  seq ${int} PRIMARY KEY,
  ts ${int} NOT NULL,
  type TEXT NOT NULL,
  actor TEXT NOT NULL,
  payload TEXT NOT NULL,
  body TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE INDEX audit_ts ON audit (ts);
`
}

/** A migration whose SQL is the same in both engines. */
const both = (version: number, name: string, sql: string): Migration => ({ version, name, sqlite: sql, postgres: sql })

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'initial', sqlite: initialSchema('sqlite'), postgres: initialSchema('postgres') },
  {
    // The body column repeats what the other columns say: verification rebuilds it from them byte for byte
    // (audit/record.ts bodyText), so it is kept only where they cannot rebuild it. Old bodies are copied; one
    // that equals its rebuilt form is dropped (a conservative test: SQLite's json_quote may differ from
    // JSON.stringify on exotic strings, in which case the body is simply kept).
    version: 2,
    name: 'audit-body-optional',
    sqlite: `
CREATE TABLE audit_v2 (
  seq INTEGER PRIMARY KEY,
  ts INTEGER NOT NULL,
  type TEXT NOT NULL,
  actor TEXT NOT NULL,
  payload TEXT NOT NULL,
  body TEXT,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
INSERT INTO audit_v2 (seq, ts, type, actor, payload, body, prev_hash, hash)
SELECT seq, ts, type, actor, payload,
  CASE
    WHEN typeof(ts) = 'integer' AND typeof(type) = 'text' AND typeof(actor) = 'text' AND typeof(payload) = 'text'
      AND body = '{"actor":' || json_quote(actor) || ',"payload":' || payload || ',"seq":' || seq || ',"ts":' || ts
        || ',"type":' || json_quote(type) || '}'
    THEN NULL
    ELSE body
  END,
  prev_hash, hash
FROM audit ORDER BY seq;
DROP TABLE audit;
ALTER TABLE audit_v2 RENAME TO audit;
CREATE INDEX audit_ts ON audit (ts);
`,
    postgres: `
ALTER TABLE audit ALTER COLUMN body DROP NOT NULL;
`,
  },
  // Signed heads and key records are few (one per thousand records or minute): a partial index finds them
  // without scanning the chain, and costs nothing on the other records' inserts.
  both(3, 'audit-anchor-index', `
CREATE INDEX audit_anchors ON audit (seq) WHERE type IN ('audit.checkpoint', 'audit.key');
`),
  // What an order asks for beyond side, type, amount and price (time in force, reduce-only, trigger,
  // trailing stop, bracket, the strategy's tag), as one JSON text; NULL for a plain order.
  both(4, 'order-options', `
ALTER TABLE orders ADD COLUMN options TEXT;
`),
  {
    // A fill is named by (venue, trade id, side), not (venue, trade id): a self-trade on an exchange without
    // self-trade prevention is one trade id with two fills of ours, a buy and a sell. Every stored key stays
    // unique under the wider key, so the rows are copied as they are (SQLite cannot change a primary key in
    // place: the table is rebuilt, ids and order kept).
    version: 5,
    name: 'fills-key-side',
    sqlite: `
${fillsTable('sqlite', 'fills_v5', 'venue, trade_id, side')}
INSERT INTO fills_v5 (venue, trade_id, id, client_order_id, venue_order_id, strategy_id, symbol, side, price, amount, cost, fee_cost, fee_currency, taker_or_maker, timestamp)
SELECT venue, trade_id, id, client_order_id, venue_order_id, strategy_id, symbol, side, price, amount, cost, fee_cost, fee_currency, taker_or_maker, timestamp FROM fills ORDER BY id;
DROP TABLE fills;
ALTER TABLE fills_v5 RENAME TO fills;
CREATE INDEX fills_timestamp ON fills (timestamp, id);
`,
    postgres: `
ALTER TABLE fills DROP CONSTRAINT fills_pkey;
ALTER TABLE fills ADD PRIMARY KEY (venue, trade_id, side);
`,
  },
]

/** The newest schema version in a migration list (0 for an empty list). */
export function latestVersion(migrations: readonly Migration[] = MIGRATIONS): number {
  return migrations.reduce((max, m) => Math.max(max, m.version), 0)
}

/**
 * Checks what a database has applied against what this code knows and returns the migrations still to
 * apply, in order. A database ahead of this code, with a gap, or with a different migration under a known
 * version is refused with one line naming `location`: running against it could corrupt it.
 */
export function pendingMigrations(
  location: string,
  applied: readonly { readonly version: number; readonly name: string }[],
  migrations: readonly Migration[] = MIGRATIONS,
): Migration[] {
  const known = latestVersion(migrations)
  const sorted = [...applied].sort((a, b) => a.version - b.version)
  for (const [i, row] of sorted.entries()) {
    if (row.version !== i + 1) {
      const missing = i + 1
      throw new InputError(
        `database ${location} has a gap in its schema migrations: version ${missing} is missing but ${row.version} is applied`,
      )
    }
  }
  const current = sorted.length
  if (current > known) {
    throw new InputError(
      `database ${location} is at schema version ${current} but this Sofia knows only up to ${known} (upgrade Sofia)`,
    )
  }
  for (const row of sorted) {
    const ours = migrations.find((m) => m.version === row.version)
    if (ours === undefined) {
      throw new InputError(`database ${location} has schema migration ${row.version} that this Sofia does not know`)
    }
    if (ours.name !== row.name) {
      throw new InputError(
        `database ${location} has schema migration ${row.version} '${row.name}' but this Sofia's migration ${row.version} is '${ours.name}'`,
      )
    }
  }
  return migrations.filter((m) => m.version > current).sort((a, b) => a.version - b.version)
}
