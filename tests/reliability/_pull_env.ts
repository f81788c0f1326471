/**
 * Shared pieces of the whole-pull reliability tests: test images with layers of
 * incompressible data (so every stage takes measurable time), a throttling
 * proxy in front of the test registry, the storage/catalogue/cache invariants
 * of issue 6, and a check that a SIF holds the expected files.
 * @module
 */
import { hostname } from "node:os";
import { assert, assertEquals } from "../_assert.ts";
import { buildImage, type BuiltImage, sha256 } from "../_images.ts";
import type { TarEntry } from "../_tar.ts";
import { exists } from "../_tree.ts";
import { Catalogue } from "../../src/store/catalogue.ts";

/** A layer holding one file of `bytes` random bytes at `data/<name>.bin`, plus a text file. */
export function dataLayer(name: string, bytes: number): TarEntry[] {
  const data = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i += 65536) {
    crypto.getRandomValues(data.subarray(i, Math.min(bytes, i + 65536)));
  }
  return [
    { name: "data", type: "directory" },
    { name: `data/${name}.bin`, content: data },
    { name: `etc/${name}.txt`, content: `${name}\n` },
  ] as TarEntry[];
}

/** An image whose layers are the given entry lists (gzip). */
export function imageOf(layers: TarEntry[][]): Promise<BuiltImage> {
  return buildImage({
    layers: layers.map((entries) => ({
      entries: [{ name: "etc", type: "directory" }, ...entries],
    })),
  });
}

/** The folders of a test HOME with default settings. */
export interface HomePaths {
  /** SREGISTRY_DATABASE */
  db: string;
  /** SREGISTRY_STORAGE */
  storage: string;
  /** `<SINGULARITY_CACHEDIR>/oci/blobs/sha256` */
  blobs: string;
  /** SREGISTRY_TMPDIR */
  tmp: string;
}

/** The default folders of a test HOME (overridable). */
export function homePaths(home: string, over: Partial<HomePaths> = {}): HomePaths {
  const singularity = `${home}/.singularity`;
  return {
    db: singularity,
    storage: `${singularity}/shub`,
    blobs: `${singularity}/oci/blobs/sha256`,
    tmp: `${home}/tmp`,
    ...over,
  };
}

function walk(dir: string): string[] {
  const out: string[] = [];
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(dir)];
  } catch {
    return out;
  }
  for (const e of entries) {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory) out.push(...walk(path));
    else out.push(path);
  }
  return out;
}

/**
 * Issue 6's invariants: every record's file exists, every image file in
 * storage has a record, every file in the blob folder with a final name hashes
 * to that name. With `clean`, also no partial file, lock or work folder is left.
 */
export function checkInvariants(
  p: HomePaths,
  options: { clean?: boolean } = {},
): { image: string | null }[] {
  let records: { image: string | null }[] = [];
  try {
    Deno.statSync(`${p.db}/sregistry.db`);
    using cat = Catalogue.open(p.db);
    records = cat.all();
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  for (const r of records) {
    assert(r.image !== null && exists(r.image), `record without its file: ${r.image}`);
  }
  const recorded = new Set(records.map((r) => r.image));
  const stored = walk(p.storage);
  for (const f of stored.filter((f) => !basename(f).startsWith("."))) {
    assert(recorded.has(f), `file in storage without a record: ${f}`);
  }
  for (const f of walk(p.blobs)) {
    const name = basename(f);
    if (/^[a-f0-9]{64}$/.test(name)) {
      assertEquals(
        sha256(Deno.readFileSync(f)),
        `sha256:${name}`,
        `corrupt blob under a final name: ${f}`,
      );
    }
  }
  if (options.clean) {
    const left = [
      ...stored.filter((f) => basename(f).startsWith(".")),
      ...walk(p.blobs).filter((f) => !/^[a-f0-9]{64}$/.test(basename(f))),
      ...listNames(p.tmp),
    ];
    assertEquals(left, [], "leftovers of dead or failed pulls");
  }
  return records;
}

function listNames(dir: string): string[] {
  try {
    return [...Deno.readDirSync(dir)].map((e) => `${dir}/${e.name}`);
  } catch {
    return [];
  }
}

function basename(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

async function run(cmd: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  const text = new TextDecoder().decode(out.stdout);
  assert(out.success, `${cmd} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  return text;
}

/** Checks the SIF with siftool and lists its squashfs with unsquashfs: every path in `files` is there. */
export async function checkSif(sif: string, files: string[]): Promise<void> {
  const list = await run("siftool", ["list", sif]);
  assert(list.includes("FS (Squashfs/*System/amd64)"), list);
  const id = /^\s*(\d+)\s.*FS \(Squashfs/m.exec(list)?.[1] ?? "3";
  const offset = /Offset:\s+(\d+)/.exec(await run("siftool", ["info", id, sif]))![1];
  const listing = await run("unsquashfs", ["-l", "-o", offset, "-d", "", sif]);
  for (const f of files) {
    assert(listing.includes(`\n/${f}\n`) || listing.includes(`\n${f}\n`), `${f} in\n${listing}`);
  }
}

/**
 * A proxy in front of `upstream` that sends blob bodies at about
 * `bytesPerSecond`, so a pull spends measurable time downloading.
 */
export function throttlingProxy(
  upstream: string,
  bytesPerSecond: number,
): { host: string } & AsyncDisposable {
  const chunk = 64 * 1024;
  const pause = (1000 * chunk) / bytesPerSecond;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const url = new URL(req.url);
    const res = await fetch(upstream + url.pathname + url.search, {
      method: req.method,
      headers: req.headers,
      redirect: "manual",
    });
    if (!url.pathname.includes("/blobs/") || !res.body) return res;
    const reader = res.body.getReader();
    let pending: Uint8Array = new Uint8Array(0);
    const body = new ReadableStream<Uint8Array>({
      async pull(c) {
        while (pending.length < chunk) {
          const { done, value } = await reader.read();
          if (done) break;
          pending = concat(pending, value);
        }
        if (pending.length === 0) return c.close();
        await new Promise((r) => setTimeout(r, pause));
        c.enqueue(pending.slice(0, chunk));
        pending = pending.slice(chunk);
      },
      cancel: () => reader.cancel(),
    });
    return new Response(body, { status: res.status, headers: res.headers });
  });
  return { host: `127.0.0.1:${server.addr.port}`, [Symbol.asyncDispose]: () => server.shutdown() };
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** The host name as sregistry writes it in partial file names. */
export const HOST = hostname();

/** The names in `dir`, or none when it is missing (or was removed meanwhile). */
export function ls(dir: string): string[] {
  try {
    return [...Deno.readDirSync(dir)].map((e) => e.name);
  } catch {
    return [];
  }
}

/** The size of a file that may be renamed away meanwhile (0 then). */
export function size(path: string): number {
  try {
    return Deno.statSync(path).size;
  } catch {
    return 0;
  }
}
