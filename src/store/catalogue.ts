/**
 * The local catalogue: `<SREGISTRY_DATABASE>/sregistry.db`, the Python
 * client's `collection` and `container` tables plus the columns it lost
 * (schema in `_migrations.ts`). Every query lives here; every value is bound
 * as a parameter, never spliced into SQL text. Opening the file (WAL, busy
 * timeout, migrations) is in `_database.ts`.
 *
 * Concurrency: WAL journal, a 10 s busy timeout, and every write in a
 * `BEGIN IMMEDIATE` transaction, so several processes can pull into one
 * catalogue; one row per (registry, collection, name, tag, client, version).
 * @module
 */
import type { DatabaseSync } from "node:sqlite";
import { SregistryError } from "../errors.ts";
import { BUSY_TIMEOUT_MS, DATABASE_FILE, openDatabase, openDatabaseReadOnly } from "./_database.ts";
import { beginWrite } from "./write_lock.ts";
import {
  type ImageQuery,
  type ImageRecord,
  imageUri,
  type NewImageRecord,
  recordFromRow,
  type Row,
  rowValues,
} from "./record.ts";

export { BUSY_TIMEOUT_MS, DATABASE_FILE } from "./_database.ts";

const HUB = "docker.io";
const SQLITE_CONSTRAINT_UNIQUE = 2067;
const NOW = "strftime('%Y-%m-%d %H:%M:%S', 'now')";
const NOW_MS = "strftime('%Y-%m-%d %H:%M:%f', 'now')";
const NEWEST = "COALESCE(c.updated_at, c.created_at) DESC, c.id DESC";
const SELECT = `SELECT c.*, col.name AS collection FROM container c
  JOIN collection col ON col.id = c.collection_id`;

/** The named parameters `keys` of `row` (node:sqlite refuses unknown names). */
function pick(row: Row, keys: string[]): Row {
  return Object.fromEntries(keys.map((k) => [k, row[k]]));
}

/** `%` and `_` in a user's query match themselves: LIKE with `ESCAPE '\'`. */
function likePattern(query: string): string {
  return `%${query.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** The local image catalogue (one open SQLite connection). */
export class Catalogue {
  #db: DatabaseSync;

  #file = "";
  #onWait?: (text: string) => void;

  private constructor(db: DatabaseSync) {
    this.#db = db;
  }

  /**
   * Opens (creating and migrating when needed) `<dir>/sregistry.db`. The
   * folder is created with mode 0700 and the file with 0600 when missing.
   * With `readOnly`, an existing catalogue is opened for reading only (the
   * user may not be allowed to write it); writes then throw.
   *
   * @param dir the `SREGISTRY_DATABASE` folder.
   * @throws {TypeError} when `dir` is empty.
   * @throws {SregistryError} when the folder or file cannot be opened or the schema is newer.
   */
  static open(
    dir: string,
    options: { readOnly?: boolean; onWait?: (text: string) => void } = {},
  ): Catalogue {
    const catalogue = new Catalogue(
      options.readOnly ? openDatabaseReadOnly(dir) : openDatabase(dir),
    );
    catalogue.#file = `${dir.replace(/\/+$/, "")}/${DATABASE_FILE}`;
    catalogue.#onWait = options.onWait; // told before a write waits for another process
    return catalogue;
  }

  /** Closes the connection. */
  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }

  /** Same as {@linkcode Catalogue.close}, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }

  /**
   * Runs `fn` in a `BEGIN IMMEDIATE` transaction (a savepoint when nested):
   * committed when it returns, rolled back when it throws.
   *
   * @param fn synchronous work; a returned promise is refused (rolled back).
   * @throws {TypeError} when `fn` returns a promise; whatever `fn` throws.
   */
  transaction<T>(fn: () => T): T {
    const nested = this.#db.isTransaction;
    if (nested) this.#db.exec("SAVEPOINT sregistry");
    else beginWrite(this.#db, this.#file, BUSY_TIMEOUT_MS, this.#onWait);
    try {
      const result = fn();
      if (result instanceof Promise) {
        result.catch(() => {});
        throw new TypeError("Cannot run a catalogue transaction: fn must be synchronous");
      }
      this.#db.exec(nested ? "RELEASE sregistry" : "COMMIT");
      return result;
    } catch (error) {
      if (this.#db.isTransaction) {
        this.#db.exec(nested ? "ROLLBACK TO sregistry; RELEASE sregistry" : "ROLLBACK");
      }
      throw error;
    }
  }

  /**
   * Inserts the record, or updates the row with the same identity
   * (registry, collection, name, tag, client, version). Creates the
   * collection (with a uuid4 token, as the original) when needed.
   *
   * @returns the stored record.
   */
  upsert(rec: NewImageRecord): ImageRecord {
    return this.transaction(() => {
      const collectionId = this.#collectionId(rec.collection);
      const values = rowValues(rec, collectionId);
      const existing = this.#db.prepare(
        `SELECT id FROM container WHERE registry = :registry AND collection_id = :collection_id
          AND name = :name AND tag = :tag AND client = :client AND version IS :version`,
      ).get(pick(values, ["registry", "collection_id", "name", "tag", "client", "version"])) as
        | { id: number }
        | undefined;
      const columns = Object.keys(values);
      let id: number;
      if (existing) {
        const set = columns.map((c) => `${c} = :${c}`).join(", ");
        this.#db.prepare(`UPDATE container SET ${set}, updated_at = ${NOW_MS} WHERE id = :id`)
          .run({ ...values, id: existing.id });
        id = existing.id;
      } else {
        const sql = `INSERT INTO container (${columns.join(", ")}, created_at, updated_at)
          VALUES (${columns.map((c) => `:${c}`).join(", ")}, ${NOW}, ${NOW_MS})`;
        id = Number(this.#db.prepare(sql).run(values).lastInsertRowid);
      }
      return this.get(id)!;
    });
  }

  /**
   * The newest matching record (by update, then creation time, then id),
   * or the one whose version or resolved digest is `q.version`.
   */
  find(q: ImageQuery): ImageRecord | undefined {
    const where = ["c.registry = :registry", "col.name = :collection", "c.name = :name"];
    const params: Row = { registry: q.registry ?? HUB, collection: q.collection, name: q.name };
    if (q.tag !== undefined || q.version === undefined) {
      where.push("c.tag = :tag");
      params.tag = q.tag ?? "latest";
    }
    if (q.version !== undefined) {
      where.push("(c.version = :version OR c.digest = :version)");
      params.version = q.version;
    }
    const sql = `${SELECT} WHERE ${where.join(" AND ")} ORDER BY ${NEWEST} LIMIT 1`;
    const row = this.#db.prepare(sql).get(params) as Row | undefined;
    return row && recordFromRow(row);
  }

  /** The newest record of the repository whose platform manifest digest (or version) is `digest`. */
  findByManifestDigest(
    registry: string,
    collection: string,
    name: string,
    digest: string,
  ): ImageRecord | undefined {
    const row = this.#db.prepare(
      `${SELECT} WHERE c.registry = ? AND col.name = ? AND c.name = ?
        AND (c.manifest_digest = ? OR c.version = ?) ORDER BY ${NEWEST} LIMIT 1`,
    ).get(registry, collection, name, digest, digest) as Row | undefined;
    return row && recordFromRow(row);
  }

  /**
   * `images [query...]`: records matching any query like the original
   * (`name = q OR tag LIKE %q% OR uri LIKE %q% OR name LIKE %q%`, plus
   * `<registry>/<uri> LIKE %q%`; `%` and `_` are literal), all records when
   * there is no query; ordered by registry, collection, name, tag, newest first.
   */
  search(queries: string[]): ImageRecord[] {
    const where = queries.map((_, i) =>
      `(c.name = :q${i} OR c.tag LIKE :l${i} ESCAPE '\\' OR c.uri LIKE :l${i} ESCAPE '\\'
        OR c.name LIKE :l${i} ESCAPE '\\' OR (c.registry || '/' || c.uri) LIKE :l${i} ESCAPE '\\')`
    );
    const params: Row = {};
    queries.forEach((q, i) => {
      params[`q${i}`] = q;
      params[`l${i}`] = likePattern(q);
    });
    const filter = where.length > 0 ? `WHERE ${where.join(" OR ")}` : "";
    const order = `ORDER BY c.registry, col.name, c.name, c.tag, ${NEWEST}`;
    const rows = this.#db.prepare(`${SELECT} ${filter} ${order}`).all(params) as Row[];
    return rows.map(recordFromRow);
  }

  /**
   * The records whose version (manifest digest) starts with `prefix`
   * (`sha256:0123456789ab`), newest first: what an ID shown by `images` names.
   */
  findByVersionPrefix(prefix: string): ImageRecord[] {
    const rows = this.#db.prepare(
      `${SELECT} WHERE substr(c.version, 1, ?) = ? ORDER BY ${NEWEST}`,
    ).all(prefix.length, prefix) as Row[];
    return rows.map(recordFromRow);
  }

  /** Every record, oldest first. */
  all(): ImageRecord[] {
    const rows = this.#db.prepare(`${SELECT} ORDER BY c.id`).all() as Row[];
    return rows.map(recordFromRow);
  }

  /**
   * Deletes the record (not its file; empty collections stay, as the original).
   * @returns whether a row was deleted.
   */
  remove(id: number): boolean {
    return this.transaction(() =>
      Number(this.#db.prepare("DELETE FROM container WHERE id = ?").run(id).changes) > 0
    );
  }

  /**
   * Records a new path for the image's file (`mv`).
   * @throws {SregistryError} when there is no such record.
   */
  updatePath(id: number, path: string): ImageRecord {
    return this.transaction(() => {
      this.#db.prepare(`UPDATE container SET image = ?, updated_at = ${NOW_MS} WHERE id = ?`)
        .run(path, id);
      return this.#mustGet(id, "move");
    });
  }

  /**
   * Gives the record a new reference and path, keeping its version (`rename`).
   * @throws {SregistryError} when there is no such record or the new identity exists.
   */
  rename(
    id: number,
    to: { registry: string; collection: string; name: string; tag: string },
    newPath: string,
  ): ImageRecord {
    return this.transaction(() => {
      const old = this.#mustGet(id, "rename");
      const uri = imageUri(to.collection, to.name, to.tag, old.version);
      try {
        this.#db.prepare(
          `UPDATE container SET registry = ?, collection_id = ?, name = ?, tag = ?, uri = ?,
            image = ?, updated_at = ${NOW_MS} WHERE id = ?`,
        ).run(to.registry, this.#collectionId(to.collection), to.name, to.tag, uri, newPath, id);
      } catch (error) {
        if ((error as { errcode?: number }).errcode !== SQLITE_CONSTRAINT_UNIQUE) throw error;
        throw new SregistryError(
          `Cannot rename image ${old.uri}: ${to.registry}/${uri} is already in the catalogue: ` +
            `remove it first with "sregistry rm"`,
          { cause: error },
        );
      }
      return this.#mustGet(id, "rename");
    });
  }

  /** The record with this id. */
  get(id: number): ImageRecord | undefined {
    const row = this.#db.prepare(`${SELECT} WHERE c.id = ?`).get(id) as Row | undefined;
    return row && recordFromRow(row);
  }

  #mustGet(id: number, action: string): ImageRecord {
    const rec = this.get(id);
    if (!rec) {
      throw new SregistryError(
        `Cannot ${action} image ${id}: it is not in the catalogue: list images with "sregistry images"`,
      );
    }
    return rec;
  }

  /** The collection's id, creating it with a uuid4 token (call inside a transaction). */
  #collectionId(name: string): number {
    const found = this.#db.prepare("SELECT id FROM collection WHERE name = ?").get(name) as
      | { id: number }
      | undefined;
    if (found) return Number(found.id);
    const result = this.#db.prepare(
      `INSERT INTO collection (name, token, created_at) VALUES (?, ?, ${NOW})`,
    ).run(name, crypto.randomUUID());
    return Number(result.lastInsertRowid);
  }
}
