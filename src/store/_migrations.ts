/**
 * The catalogue schema as ordered migrations, applied in place by
 * {@linkcode migrate} inside one `BEGIN IMMEDIATE` transaction and recorded
 * in `PRAGMA user_version`.
 *
 * Version 0 is an empty file or a database written by the Python client
 * (its SQLAlchemy `create_all` DDL, reproduced in {@linkcode PYTHON_DDL}).
 *
 * Version 1 rebuilds `container` with the original columns plus the ones the
 * original lost. It drops the original `UNIQUE(collection_id, name, tag,
 * client, version)` constraint, which SQLite cannot alter in place: the same
 * image (same manifest digest) pulled from two registries must be two rows.
 * Identity becomes the unique index `container_identity(registry,
 * collection_id, name, tag, client, version)`, where `registry` is `NOT NULL
 * DEFAULT 'docker.io'` so rows inserted later by the Python client (which
 * does not know the column) land on Docker Hub, as they always did. The
 * rebuild copies every row; catalogues are small, so it is cheap. Rows whose
 * `collection_id` names no collection (the original never enforced the
 * foreign key) first get one ({@linkcode adoptOrphans}).
 *
 * Version 2 rebuilds `container` again with `id INTEGER PRIMARY KEY
 * AUTOINCREMENT`, so an image's ID is never reused after the image with the
 * highest ID is removed (SQLite otherwise gives the next row max(id) + 1).
 * @module
 */
import type { DatabaseSync } from "node:sqlite";
import { SregistryError } from "../errors.ts";

/** The Python client's tables, exactly as SQLAlchemy creates them for SQLite. */
export const PYTHON_DDL = `
CREATE TABLE IF NOT EXISTS collection (
	id INTEGER NOT NULL, 
	name VARCHAR(150), 
	token VARCHAR(50), 
	created_at DATETIME, 
	PRIMARY KEY (id), 
	UNIQUE (name)
);
CREATE TABLE IF NOT EXISTS container (
	id INTEGER NOT NULL, 
	created_at DATETIME, 
	metrics TEXT NOT NULL, 
	name VARCHAR(250) NOT NULL, 
	tag VARCHAR(250) NOT NULL, 
	image VARCHAR(250), 
	url VARCHAR(500), 
	uri VARCHAR(500), 
	client VARCHAR(50) NOT NULL, 
	version VARCHAR(250), 
	collection_id INTEGER NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT _container_uc UNIQUE (collection_id, name, tag, client, version), 
	FOREIGN KEY(collection_id) REFERENCES collection (id)
);
`;

const ORIGINAL_COLUMNS =
  "id, created_at, metrics, name, tag, image, url, uri, client, version, collection_id";

/** `container`'s columns after `id` (version 1 on), and the foreign key, as SQLite DDL. */
const CONTAINER_COLUMNS = `
	created_at DATETIME, 
	metrics TEXT NOT NULL, 
	name VARCHAR(250) NOT NULL, 
	tag VARCHAR(250) NOT NULL, 
	image VARCHAR(250), 
	url VARCHAR(500), 
	uri VARCHAR(500), 
	client VARCHAR(50) NOT NULL, 
	version VARCHAR(250), 
	collection_id INTEGER NOT NULL, 
	registry TEXT NOT NULL DEFAULT 'docker.io',
	digest TEXT,
	manifest_digest TEXT,
	platform TEXT,
	size INTEGER,
	manifest TEXT,
	platform_manifest TEXT,
	config TEXT,
	source TEXT,
	updated_at DATETIME,`;

/** Puts `table` (a copy of `container` with `columns`) in `container`'s place, with its indexes. */
const replaceContainer = (table: string, columns: string) => `
INSERT INTO ${table} (${columns}) SELECT ${columns} FROM container;
DROP TABLE container;
ALTER TABLE ${table} RENAME TO container;
CREATE UNIQUE INDEX container_identity
  ON container (registry, collection_id, name, tag, client, version);
CREATE INDEX container_manifest_digest ON container (registry, manifest_digest);
`;

const V1 = `
${PYTHON_DDL}
CREATE TABLE container_v1 (
	id INTEGER NOT NULL, ${CONTAINER_COLUMNS}
	PRIMARY KEY (id), 
	FOREIGN KEY(collection_id) REFERENCES collection (id)
);
${replaceContainer("container_v1", ORIGINAL_COLUMNS)}`;

const V1_COLUMNS = `${ORIGINAL_COLUMNS}, registry, digest, manifest_digest, platform, size,
  manifest, platform_manifest, config, source, updated_at`;

// AUTOINCREMENT: the ID of a removed image (shown by `images`, used by `rm 5`) is never given to
// another one. The Python client inserts without an id, so it works with this table as before.
const V2 = `
CREATE TABLE container_v2 (
	id INTEGER PRIMARY KEY AUTOINCREMENT, ${CONTAINER_COLUMNS}
	FOREIGN KEY(collection_id) REFERENCES collection (id)
);
${replaceContainer("container_v2", V1_COLUMNS)}`;

/** Ordered migrations: entry `i` brings the schema from version `i` to `i + 1`. */
export const MIGRATIONS: readonly string[] = [V1, V2];

/** The schema version this code writes. */
export const SCHEMA_VERSION: number = MIGRATIONS.length;

/** The database's `PRAGMA user_version`. */
export function schemaVersion(db: DatabaseSync): number {
  const row = db.prepare("PRAGMA user_version").get() as { user_version: number };
  return row.user_version;
}

/**
 * Gives each `container.collection_id` that names no collection a collection
 * (the Python client never enforced its foreign key, so such rows exist), so
 * the rows survive the migration with foreign keys on. The collection takes
 * its id and the name before the first `/` of the row's `uri` (the name the
 * row was pulled under), else `collection-<id>`; a name already taken gets
 * `-<id>` appended.
 */
function adoptOrphans(db: DatabaseSync): void {
  const table = db.prepare(
    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name IN ('container', 'collection')",
  ).all();
  if (table.length < 2) return;
  const orphans = db.prepare(
    `SELECT collection_id AS id, MIN(uri) AS uri FROM container
      WHERE collection_id NOT IN (SELECT id FROM collection) GROUP BY collection_id`,
  ).all() as { id: number | bigint | string | null; uri: string | null }[];
  const taken = db.prepare("SELECT 1 FROM collection WHERE name = ?");
  const insert = db.prepare(
    `INSERT INTO collection (id, name, token, created_at)
      VALUES (?, ?, ?, strftime('%Y-%m-%d %H:%M:%S', 'now'))`,
  );
  for (const { id, uri } of orphans) {
    if (id === null) continue;
    const slash = uri?.indexOf("/") ?? -1;
    let name = uri && slash > 0 ? uri.slice(0, slash) : `collection-${id}`;
    while (taken.get(name)) name = `${name}-${id}`;
    insert.run(id, name, crypto.randomUUID());
  }
}

/**
 * Brings `db` to {@linkcode SCHEMA_VERSION} in one `BEGIN IMMEDIATE`
 * transaction (concurrent openers wait, then see the migrated schema).
 *
 * @throws {SregistryError} when the database is newer than this code.
 */
export function migrate(db: DatabaseSync, file: string): void {
  if (schemaVersion(db) === SCHEMA_VERSION) return;
  db.exec("BEGIN IMMEDIATE");
  try {
    const from = schemaVersion(db);
    if (from > SCHEMA_VERSION) {
      throw new SregistryError(
        `Cannot open the catalogue ${file}: its schema version ${from} is newer than ` +
          `this sregistry's (${SCHEMA_VERSION}): upgrade sregistry`,
      );
    }
    if (from === 0) adoptOrphans(db);
    for (let v = from; v < SCHEMA_VERSION; v++) db.exec(MIGRATIONS[v]);
    db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
    db.exec("COMMIT");
  } catch (error) {
    db.exec("ROLLBACK");
    throw error;
  }
}
