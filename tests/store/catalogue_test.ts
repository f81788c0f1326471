import { DatabaseSync } from "node:sqlite";
import { assert, assertEquals, assertStringIncludes, assertThrows } from "../_assert.ts";
import { Catalogue, DATABASE_FILE } from "../../src/store/catalogue.ts";
import { SCHEMA_VERSION } from "../../src/store/_migrations.ts";
import type { NewImageRecord } from "../../src/store/record.ts";
import { SregistryError } from "../../src/errors.ts";

const digest = (c: string) => `sha256:${c.repeat(64)}`;

function record(patch: Partial<NewImageRecord> = {}): NewImageRecord {
  return {
    registry: "docker.io",
    collection: "library",
    name: "busybox",
    tag: "latest",
    version: digest("a"),
    client: "docker",
    image: "/s/library/busybox/latest@a.sif",
    url: "https://registry-1.docker.io/v2/library/busybox/manifests/latest",
    digest: digest("i"),
    manifestDigest: patch.version ?? digest("a"),
    platform: "linux/amd64",
    size: 4096,
    manifest: { schemaVersion: 2, manifests: [] },
    platformManifest: { schemaVersion: 2, layers: [] },
    config: { config: { Env: ["PATH=/bin"] } },
    source: "docker://docker.io/library/busybox:latest",
    metrics: { note: "test" },
    ...patch,
  };
}

async function withCatalogue(fn: (cat: Catalogue, dir: string) => void | Promise<void>) {
  const dir = await Deno.makeTempDir();
  const cat = Catalogue.open(`${dir}/db`);
  try {
    await fn(cat, `${dir}/db`);
  } finally {
    cat.close();
    await Deno.remove(dir, { recursive: true });
  }
}

function userVersion(file: string): number {
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    return Number(
      (db.prepare("PRAGMA user_version").get() as { user_version: number }).user_version,
    );
  } finally {
    db.close();
  }
}

Deno.test("Catalogue.open() creates the folder 0700, a WAL database 0600 at the schema version", async () => {
  await withCatalogue((_cat, dir) => {
    assertEquals(Deno.statSync(dir).mode! & 0o777, 0o700);
    assertEquals(Deno.statSync(`${dir}/${DATABASE_FILE}`).mode! & 0o777, 0o600);
    assertEquals(userVersion(`${dir}/${DATABASE_FILE}`), SCHEMA_VERSION);
    const db = new DatabaseSync(`${dir}/${DATABASE_FILE}`);
    assertEquals(
      (db.prepare("PRAGMA journal_mode").get() as { journal_mode: string }).journal_mode,
      "wal",
    );
    db.close();
  });
});

Deno.test("Catalogue.upsert() twice with the same identity keeps one row, updated", async () => {
  await withCatalogue((cat) => {
    const first = cat.upsert(record());
    const second = cat.upsert(record({ image: "/elsewhere.sif", size: 8192 }));
    assertEquals(cat.all().length, 1);
    assertEquals(second.id, first.id);
    assertEquals(second.image, "/elsewhere.sif");
    assertEquals(second.size, 8192);
    assertEquals(second.createdAt, first.createdAt);
    assertEquals(second.uri, `library/busybox:latest@${digest("a")}`);
    assertEquals(second.manifest, { schemaVersion: 2, manifests: [] });
    assertEquals(second.config, { config: { Env: ["PATH=/bin"] } });
    assertEquals(second.metrics, { note: "test" });
    assertEquals(second.platform, "linux/amd64");
    assertEquals(second.source, "docker://docker.io/library/busybox:latest");
  });
});

Deno.test("Catalogue.find() returns the newest version, or the one asked for", async () => {
  await withCatalogue(async (cat) => {
    const old = cat.upsert(record({ version: digest("1") }));
    const newer = cat.upsert(record({ version: digest("2"), digest: digest("j") }));
    cat.upsert(record({ tag: "musl", version: digest("3") }));
    const q = { collection: "library", name: "busybox" };
    assertEquals(cat.find(q)?.id, newer.id);
    assertEquals(cat.find({ ...q, tag: "latest" })?.id, newer.id);
    assertEquals(cat.find({ ...q, version: digest("1") })?.id, old.id);
    assertEquals(cat.find({ ...q, version: digest("j") })?.id, newer.id, "by resolved digest");
    assertEquals(cat.find({ ...q, tag: "musl" })?.version, digest("3"));
    assertEquals(cat.find({ ...q, version: digest("3") })?.tag, "musl", "version alone: any tag");
    assertEquals(cat.find({ ...q, tag: "nope" }), undefined);
    assertEquals(cat.find({ ...q, registry: "ghcr.io" }), undefined);
    // Re-pulling the old version makes it the newest (times have millisecond precision).
    await new Promise((resolve) => setTimeout(resolve, 5));
    cat.upsert(record({ version: digest("1") }));
    assertEquals(cat.find(q)?.id, old.id);
    assertEquals(cat.all().length, 3);
  });
});

Deno.test("Catalogue keeps the same image from two registries apart", async () => {
  await withCatalogue((cat) => {
    const hub = cat.upsert(record());
    const local = cat.upsert(record({ registry: "127.0.0.1:5000", image: "/s/local.sif" }));
    assert(hub.id !== local.id);
    const q = { collection: "library", name: "busybox" };
    assertEquals(cat.find(q)?.image, hub.image);
    assertEquals(cat.find({ ...q, registry: "127.0.0.1:5000" })?.image, "/s/local.sif");
    assertEquals(
      cat.findByManifestDigest("127.0.0.1:5000", "library", "busybox", digest("a"))?.id,
      local.id,
    );
    assertEquals(
      cat.findByManifestDigest("docker.io", "library", "busybox", digest("b")),
      undefined,
    );
  });
});

Deno.test("Catalogue.search() matches like the original client", async () => {
  await withCatalogue((cat) => {
    cat.upsert(record());
    cat.upsert(record({ tag: "1.36-musl", version: digest("b") }));
    cat.upsert(
      record({ collection: "vsoch", name: "hello-world", tag: "v1", version: digest("c") }),
    );
    cat.upsert(
      record({ registry: "ghcr.io", collection: "a/b", name: "tool", version: digest("d") }),
    );
    const uris = (qs: string[]) =>
      cat.search(qs).map((r) => `${r.registry}/${r.uri.split("@")[0]}`);
    assertEquals(uris([]), [
      "docker.io/library/busybox:1.36-musl",
      "docker.io/library/busybox:latest",
      "docker.io/vsoch/hello-world:v1",
      "ghcr.io/a/b/tool:latest",
    ]);
    assertEquals(uris(["busybox"]), [
      "docker.io/library/busybox:1.36-musl",
      "docker.io/library/busybox:latest",
    ]);
    assertEquals(uris(["musl"]), ["docker.io/library/busybox:1.36-musl"], "tag LIKE");
    assertEquals(uris(["vsoch/"]), ["docker.io/vsoch/hello-world:v1"], "uri LIKE");
    assertEquals(uris(["ghcr.io"]), ["ghcr.io/a/b/tool:latest"], "registry");
    assertEquals(uris(["hello", "tool"]), [
      "docker.io/vsoch/hello-world:v1",
      "ghcr.io/a/b/tool:latest",
    ]);
    assertEquals(uris(["%"]), [], "% is literal");
    assertEquals(uris(["_"]), [], "_ is literal");
    assertEquals(uris(["nothing"]), []);
  });
});

Deno.test("Catalogue stores quotes and SQL verbatim and queries them safely", async () => {
  await withCatalogue((cat) => {
    const hostile = [
      `'; DROP TABLE container; --`,
      `" OR 1=1 --`,
      `x' OR 'a'='a`,
      `Robert'); DELETE FROM collection; --`,
      `\\%_'"\``,
    ];
    for (const [i, text] of hostile.entries()) {
      const rec = cat.upsert(
        record({
          collection: text,
          name: text,
          tag: text,
          version: text,
          image: text,
          url: text,
          metrics: { text },
          source: text,
          registry: `${text}${i}`,
        }),
      );
      assertEquals([rec.collection, rec.name, rec.tag, rec.version, rec.image], [
        text,
        text,
        text,
        text,
        text,
      ]);
      assertEquals(
        cat.find({ registry: `${text}${i}`, collection: text, name: text, tag: text })?.id,
        rec.id,
      );
    }
    assertEquals(cat.all().length, hostile.length);
    for (const q of hostile) assert(cat.search([q]).length >= 1, q);
    assertEquals(cat.search([`' OR 1=1 --`]).length, 0);
    assertEquals(cat.find({ collection: `library' OR '1'='1`, name: "busybox" }), undefined);
    assertEquals(cat.all().length, hostile.length, "nothing dropped");
  });
});

Deno.test("Catalogue.remove(), updatePath() and rename() change one record", async () => {
  await withCatalogue((cat) => {
    const a = cat.upsert(record());
    const b = cat.upsert(record({ name: "alpine", version: digest("b") }));
    const moved = cat.updatePath(a.id, "/home/me/busybox.sif");
    assertEquals(moved.image, "/home/me/busybox.sif");
    const renamed = cat.rename(a.id, {
      registry: "docker.io",
      collection: "me",
      name: "box",
      tag: "stable",
    }, "/s/me/box/x.sif");
    assertEquals([renamed.collection, renamed.name, renamed.tag, renamed.version], [
      "me",
      "box",
      "stable",
      digest("a"),
    ]);
    assertEquals(renamed.uri, `me/box:stable@${digest("a")}`);
    assertEquals(renamed.image, "/s/me/box/x.sif");
    assertEquals(cat.find({ collection: "library", name: "busybox" }), undefined);
    assertEquals(cat.find({ collection: "me", name: "box", tag: "stable" })?.id, a.id);
    const clash = { registry: "docker.io", collection: "library", name: "alpine", tag: "latest" };
    cat.upsert(record({ name: "alpine", version: digest("a") }));
    assertThrows(() => cat.rename(a.id, clash, "/x"), SregistryError, "already in the catalogue");
    assertEquals(cat.get(a.id)?.name, "box", "failed rename changed nothing");
    assertEquals(cat.remove(b.id), true);
    assertEquals(cat.remove(b.id), false);
    assertEquals(cat.get(b.id), undefined);
    assertThrows(() => cat.updatePath(b.id, "/x"), SregistryError, "not in the catalogue");
  });
});

Deno.test("Catalogue.transaction() commits or rolls back, nested too", async () => {
  await withCatalogue((cat) => {
    assertThrows(
      () =>
        cat.transaction(() => {
          cat.upsert(record());
          throw new Error("boom");
        }),
      Error,
      "boom",
    );
    assertEquals(cat.all().length, 0);
    cat.transaction(() => {
      cat.upsert(record());
      try {
        cat.transaction(() => {
          cat.upsert(record({ version: digest("b") }));
          throw new Error("inner");
        });
      } catch { /* the inner savepoint is rolled back */ }
    });
    assertEquals(cat.all().map((r) => r.version), [digest("a")]);
    assertThrows(() => cat.transaction(() => Promise.resolve(1)), TypeError, "synchronous");
  });
});

/** The tables exactly as the Python client's SQLAlchemy `create_all` writes them (echo output). */
const PYTHON_CLIENT_DDL = `
CREATE TABLE collection (
\tid INTEGER NOT NULL, 
\tname VARCHAR(150), 
\ttoken VARCHAR(50), 
\tcreated_at DATETIME, 
\tPRIMARY KEY (id), 
\tUNIQUE (name)
);
CREATE TABLE container (
\tid INTEGER NOT NULL, 
\tcreated_at DATETIME, 
\tmetrics TEXT NOT NULL, 
\tname VARCHAR(250) NOT NULL, 
\ttag VARCHAR(250) NOT NULL, 
\timage VARCHAR(250), 
\turl VARCHAR(500), 
\turi VARCHAR(500), 
\tclient VARCHAR(50) NOT NULL, 
\tversion VARCHAR(250), 
\tcollection_id INTEGER NOT NULL, 
\tPRIMARY KEY (id), 
\tCONSTRAINT _container_uc UNIQUE (collection_id, name, tag, client, version), 
\tFOREIGN KEY(collection_id) REFERENCES collection (id)
);`;

/** A database as the Python client leaves it: its DDL and rows inserted the way SQLAlchemy does. */
function writePythonDatabase(file: string): void {
  const db = new DatabaseSync(file);
  db.exec(PYTHON_CLIENT_DDL);
  db.prepare("INSERT INTO collection (name, token, created_at) VALUES (?, ?, ?)")
    .run("library", "6f1c8f2e-1d0b-4a43-9a43-2b8b7c1e0f11", "2023-05-01 10:00:00");
  db.prepare("INSERT INTO collection (name, token, created_at) VALUES (?, ?, ?)")
    .run("vsoch", "0b7f3a55-3f1e-4c7d-8d0e-5e8f1e7b6a22", "2023-05-02 09:00:00");
  const insert = db.prepare(
    `INSERT INTO container (created_at, metrics, name, tag, image, url, uri, client, version,
      collection_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  insert.run(
    "2023-05-01 10:00:00",
    '{"type": "container", "tag": "latest"}',
    "ubuntu",
    "latest",
    "/home/u/.singularity/shub/library/ubuntu/latest@1111.sif",
    "library/ubuntu",
    "library/ubuntu:latest@1111",
    "hub",
    "1111",
    1,
  );
  insert.run(
    "2023-05-03 10:00:00",
    '{"type": "container"}',
    "ubuntu",
    "latest",
    "/home/u/.singularity/shub/library/ubuntu/latest@2222.sif",
    "library/ubuntu",
    "library/ubuntu:latest@2222",
    "hub",
    "2222",
    1,
  );
  insert.run(
    "2023-05-02 09:00:00",
    "{}",
    "hello-world",
    "v1",
    null,
    "vsoch/hello-world",
    "vsoch/hello-world:v1@3333",
    "registry",
    "3333",
    2,
  );
  db.close();
}

Deno.test("Catalogue.open() migrates a Python client database in place and lists it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    writePythonDatabase(`${dir}/${DATABASE_FILE}`);
    assertEquals(userVersion(`${dir}/${DATABASE_FILE}`), 0);
    const cat = Catalogue.open(dir);
    try {
      assertEquals(userVersion(`${dir}/${DATABASE_FILE}`), SCHEMA_VERSION);
      const rows = cat.all();
      assertEquals(rows.map((r) => [r.registry, r.collection, r.uri, r.client, r.createdAt]), [
        ["docker.io", "library", "library/ubuntu:latest@1111", "hub", "2023-05-01 10:00:00"],
        ["docker.io", "library", "library/ubuntu:latest@2222", "hub", "2023-05-03 10:00:00"],
        ["docker.io", "vsoch", "vsoch/hello-world:v1@3333", "registry", "2023-05-02 09:00:00"],
      ]);
      assertEquals(rows[0].metrics, { type: "container", tag: "latest" });
      assertEquals(rows[2].image, null);
      assertEquals(cat.find({ collection: "library", name: "ubuntu" })?.version, "2222", "newest");
      assertEquals(cat.search(["hello"]).map((r) => r.id), [3]);
      const added = cat.upsert(record({ collection: "library", name: "ubuntu" }));
      assertEquals(added.id, 4);
      assertEquals(cat.find({ collection: "library", name: "ubuntu" })?.id, 4);
      assertEquals(cat.all().length, 4);
    } finally {
      cat.close();
    }
    const again = Catalogue.open(dir);
    assertEquals(again.all().length, 4, "reopening does not migrate twice");
    again.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Catalogue.open() refuses a database from a newer sregistry", async () => {
  const dir = await Deno.makeTempDir();
  try {
    Catalogue.open(dir).close();
    const db = new DatabaseSync(`${dir}/${DATABASE_FILE}`);
    db.exec(`PRAGMA user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    assertThrows(() => Catalogue.open(dir), SregistryError, "upgrade sregistry");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Catalogue.open() refuses no folder, and names the file when it cannot open it", async () => {
  assertThrows(() => Catalogue.open(""), TypeError, "SREGISTRY_DATABASE");
  const dir = await Deno.makeTempDir();
  try {
    Deno.writeTextFileSync(`${dir}/plain`, "not a folder");
    const error = assertThrows(() => Catalogue.open(`${dir}/plain`), SregistryError);
    assertStringIncludes(error.message, `Cannot open the catalogue ${dir}/plain/${DATABASE_FILE}`);
    assertStringIncludes(error.message, "check SREGISTRY_DATABASE");
    assertEquals(Deno.readTextFileSync(`${dir}/plain`), "not a folder");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Catalogue.upsert() from two processes at once: all succeed, no duplicate rows", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const module = new URL("../../src/store/catalogue.ts", import.meta.url).href;
    const startAt = Date.now() + 1500; // all processes start writing together
    const worker = (n: number) => `
      import { Catalogue } from ${JSON.stringify(module)};
      while (Date.now() < ${startAt}) await new Promise((r) => setTimeout(r, 5));
      const cat = Catalogue.open(${JSON.stringify(dir)});
      for (let i = 0; i < 300; i++) {
        const v = "sha256:" + String(i % 20).padStart(64, "0");
        cat.upsert({ registry: "docker.io", collection: "library", name: "busybox", tag: "t" + (i % 3),
          version: v, client: "docker", image: "/p${n}/" + i, url: null, metrics: { n: ${n} } });
      }
      cat.close();`;
    const run = (n: number) =>
      new Deno.Command(Deno.execPath(), {
        args: ["eval", worker(n)],
        stdout: "piped",
        stderr: "piped",
      })
        .output();
    const results = await Promise.all([run(1), run(2), run(3)]);
    for (const r of results) assertEquals(r.code, 0, new TextDecoder().decode(r.stderr));
    const cat = Catalogue.open(dir);
    const rows = cat.all();
    cat.close();
    const identities = new Set(rows.map((r) => `${r.tag} ${r.version}`));
    assertEquals(rows.length, identities.size, "no duplicates");
    assertEquals(rows.length, 60, "20 versions x 3 tags (i % 20, i % 3 cover 60 pairs)");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** Python with SQLAlchemy (Debian python3-sqlalchemy, the 1.4 series the original pins). */
const python = "/usr/bin/python3";
const hasSqlalchemy = (() => {
  try {
    const args = ["-c", "import sqlalchemy"];
    return new Deno.Command(python, { args, stderr: "null", stdout: "null" }).outputSync().success;
  } catch {
    return false;
  }
})();

/** The Python client's models (same tables and columns), used as an oracle. */
const PY_ORACLE = `
import json, sys, uuid
from sqlalchemy import Column, DateTime, Integer, String, Text, ForeignKey, func, create_engine
from sqlalchemy.schema import UniqueConstraint
from sqlalchemy.orm import backref, relationship, sessionmaker
from sqlalchemy.ext.declarative import declarative_base
Base = declarative_base()
class Collection(Base):
    __tablename__ = "collection"
    id = Column(Integer, primary_key=True)
    name = Column(String(150), unique=True)
    token = Column(String(50))
    created_at = Column(DateTime, default=func.now())
    containers = relationship("Container", backref=backref("collection", lazy="joined"))
class Container(Base):
    __tablename__ = "container"
    id = Column(Integer, primary_key=True)
    created_at = Column(DateTime, default=func.now())
    metrics = Column(Text, nullable=False)
    name = Column(String(250), nullable=False)
    tag = Column(String(250), nullable=False)
    image = Column(String(250))
    url = Column(String(500))
    uri = Column(String(500))
    client = Column(String(50), nullable=False)
    version = Column(String(250))
    collection_id = Column(Integer, ForeignKey("collection.id"), nullable=False)
    __table_args__ = (UniqueConstraint("collection_id", "name", "tag", "client", "version",
                                       name="_container_uc"),)
engine = create_engine("sqlite:///" + sys.argv[1])
Base.metadata.create_all(bind=engine)
session = sessionmaker(bind=engine)()
if sys.argv[2] == "add":
    col = session.query(Collection).filter(Collection.name == "library").first()
    if col is None:
        col = Collection(name="library", token=str(uuid.uuid4()))
        session.add(col)
        session.commit()
    session.add(Container(metrics=json.dumps({"by": "python"}), name="ubuntu", tag="latest",
        image="/s/u.sif", url="library/ubuntu", uri="library/ubuntu:latest@" + sys.argv[3],
        client="hub", version=sys.argv[3], collection_id=col.id))
    session.commit()
for c in session.query(Container).order_by(Container.id).all():
    print(c.collection.name, c.uri, c.created_at.isoformat())
`;

function runPython(...args: string[]): string {
  const out = new Deno.Command(python, { args: ["-c", PY_ORACLE, ...args], stderr: "piped" })
    .outputSync();
  assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout);
}

Deno.test({
  name: "Catalogue and the Python client's SQLAlchemy models share one database both ways",
  ignore: !hasSqlalchemy,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    const file = `${dir}/${DATABASE_FILE}`;
    try {
      runPython(file, "add", "sha256:1111");
      const cat = Catalogue.open(dir);
      assertEquals(cat.all().map((r) => [r.uri, r.metrics]), [
        ["library/ubuntu:latest@sha256:1111", { by: "python" }],
      ]);
      cat.upsert(record({ version: digest("b") }));
      cat.upsert(record({ registry: "127.0.0.1:5000", name: "ubuntu", version: "sha256:1111" }));
      cat.close();
      const listed = runPython(file, "add", "sha256:3333").trim().split("\n");
      assertEquals(listed.map((l) => l.split(" ").slice(0, 2).join(" ")), [
        "library library/ubuntu:latest@sha256:1111",
        `library library/busybox:latest@${digest("b")}`,
        "library library/ubuntu:latest@sha256:1111",
        "library library/ubuntu:latest@sha256:3333",
      ]);
      const again = Catalogue.open(dir);
      const last = again.all().at(-1)!;
      again.close();
      assertEquals([last.registry, last.version, last.metrics], [
        "docker.io",
        "sha256:3333",
        { by: "python" },
      ]);
      assertEquals(userVersion(file), SCHEMA_VERSION);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
