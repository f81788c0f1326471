/**
 * A catalogue as the Python client leaves it, for tests of reading and
 * migrating one.
 * @module
 */
import { DatabaseSync } from "node:sqlite";
import { PYTHON_DDL } from "../src/store/_migrations.ts";

/** A Python client's database: collections `library` (1); rows in collection ids `ids`. */
export function writePythonDatabase(file: string, ids: number[] = [1]): void {
  // SQLAlchemy's SQLite connections never turn foreign keys on.
  const db = new DatabaseSync(file, { enableForeignKeyConstraints: false });
  db.exec(PYTHON_DDL);
  db.prepare("INSERT INTO collection (name, token, created_at) VALUES (?, ?, ?)")
    .run("library", "6f1c8f2e-1d0b-4a43-9a43-2b8b7c1e0f11", "2023-05-01 10:00:00");
  const insert = db.prepare(
    `INSERT INTO container (created_at, metrics, name, tag, image, url, uri, client, version,
      collection_id) VALUES ('2023-05-01 10:00:00', '{}', ?, 'latest', ?, ?, ?, 'hub', ?, ?)`,
  );
  ids.forEach((id, i) => {
    const collection = id === 1 ? "library" : i % 2 ? "library" : `lost${id}`;
    insert.run(
      `app${i}`,
      `/s/${collection}/app${i}/latest@${i}.sif`,
      `${collection}/app${i}`,
      `${collection}/app${i}:latest@${i}`,
      String(i),
      id,
    );
  });
  db.close();
}

/** The database's `PRAGMA user_version`, read through a connection of its own. */
export function userVersion(file: string): number {
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    const row = db.prepare("PRAGMA user_version").get() as { user_version: number };
    return Number(row.user_version);
  } finally {
    db.close();
  }
}
