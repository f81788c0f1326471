/**
 * The layout stays as docs/architecture.md draws it, checked by reading the
 * sources under src/: no module imports another folder's private `_` file,
 * no import cycle between files, each folder imports only the folders its row
 * of the table in docs/architecture.md allows, and each folder has a mod.ts
 * that only re-exports its public files. Under tests/, shared helpers live at
 * the root (tests/_name.ts): no test imports another test folder's `_` file.
 */
import { assert, assertEquals } from "./_assert.ts";
import { dirname, join, normalize, relative } from "node:path";

const ROOT = new URL("..", import.meta.url).pathname;
const ARCHITECTURE = Deno.readTextFileSync(join(ROOT, "docs/architecture.md"));
/** How the top-level files of src/ (reference.ts, digest.ts, ...) are named in the table. */
const TOP = "src/*.ts";

/** Every .ts file under `dir` (src/ by default), relative to the repository root. */
function sources(dir = "src"): string[] {
  const out: string[] = [];
  for (const e of Deno.readDirSync(join(ROOT, dir))) {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory) out.push(...sources(path));
    else if (e.name.endsWith(".ts")) out.push(path);
  }
  return out.sort();
}

const IMPORT =
  /^\s*(?:import|export)\b[^;]*?\bfrom\s*["']([^"']+)["']|\bimport\s*\(\s*["']([^"']+)["']|^\s*import\s*["']([^"']+)["']/gm;

/** Comments hold examples with import lines; drop them (string contents are kept). */
function withoutComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
}

/** The relative modules `file` imports or re-exports (types included), as repository paths. */
function importsOf(file: string): string[] {
  const text = withoutComments(Deno.readTextFileSync(join(ROOT, file)));
  return [...text.matchAll(IMPORT)]
    .map((m) => m[1] ?? m[2] ?? m[3])
    .filter((s) => s.startsWith("."))
    .map((s) => normalize(join(dirname(file), s)));
}

/** The folder a source file belongs to: `image`, `cli`, ... or {@link TOP}. */
function folderOf(file: string): string {
  const parts = relative("src", file).split("/");
  return parts.length > 1 ? parts[0] : TOP;
}

const GRAPH = new Map(sources().map((f) => [f, importsOf(f)]));

/** The import cycles of `graph` (its strongly connected components with more than one file). */
function cycles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1) found.push(component.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

/** The table of docs/architecture.md: folder to the folders it may import. */
function allowedTable(): Map<string, Set<string>> {
  const table = new Map<string, Set<string>>();
  for (const line of ARCHITECTURE.split("\n")) {
    const cells = line.split("|").map((c) => c.trim());
    if (cells.length < 4 || !cells[1].startsWith("`")) continue;
    const folder = cells[1].replace(/`/g, "").replace(/\/$/, "");
    const allowed = [...cells[cells.length - 2].matchAll(/`([^`]+)`/g)].map((m) =>
      m[1].replace(/\/$/, "")
    );
    table.set(folder, new Set(allowed));
  }
  return table;
}

Deno.test("the source reader finds the imports, re-exports and dynamic imports of a file", () => {
  // A guard for the checks below: a reader that found nothing would pass them all.
  assert(GRAPH.get("src/pull/plan.ts")!.includes("src/sources/source.ts"));
  assert(GRAPH.get("src/pull/mod.ts")!.includes("src/pull/pull.ts"));
  assert([...GRAPH.values()].flat().length > 500, "most files import something");
});

Deno.test("no module imports another folder's private _ file", () => {
  const found: string[] = [];
  for (const [file, deps] of GRAPH) {
    for (const dep of deps) {
      const name = dep.split("/").pop()!;
      if (name.startsWith("_") && dirname(dep) !== dirname(file)) found.push(`${file} -> ${dep}`);
    }
  }
  assertEquals(found, [], "make the shared part public in its owner, or move it");
});

Deno.test("no test imports another test folder's private _ file (shared ones live in tests/)", () => {
  const tests = new Map(sources("tests").map((f) => [f, importsOf(f)]));
  assert(tests.get("tests/architecture_test.ts")!.includes("tests/_assert.ts"), "reader guard");
  const found: string[] = [];
  for (const [file, deps] of tests) {
    for (const dep of deps) {
      if (!dep.startsWith("tests/") || !dep.split("/").pop()!.startsWith("_")) continue;
      const shared = dirname(dep) === "tests";
      if (!shared && dirname(dep) !== dirname(file)) found.push(`${file} -> ${dep}`);
    }
  }
  assertEquals(found, [], "move the shared helper to tests/_name.ts");
});

Deno.test("no import cycle between source files (type-only imports included)", () => {
  assertEquals(cycles(GRAPH), []);
});

Deno.test("each folder imports only what its row in docs/architecture.md allows", () => {
  const table = allowedTable();
  const folders = new Set([...GRAPH.keys()].map(folderOf));
  assertEquals([...folders].filter((f) => !table.has(f)), [], "every folder has a row");
  const found = new Set<string>();
  for (const [file, deps] of GRAPH) {
    for (const dep of deps) {
      const from = folderOf(file), to = folderOf(dep);
      if (from === to || (to === TOP && from !== TOP)) continue; // the top-level files are shared
      if (!table.get(from)?.has(to)) found.add(`${from} -> ${to} (${file} imports ${dep})`);
    }
  }
  assertEquals([...found], []);
  const folderGraph = new Map([...table].map(([f, to]) => [f, [...to]]));
  assertEquals(cycles(folderGraph), [], "the table itself has no cycle");
});

Deno.test("each folder has a mod.ts that only re-exports its public files", () => {
  const found: string[] = [];
  for (const folder of new Set([...GRAPH.keys()].map(folderOf).filter((f) => f !== TOP))) {
    const file = `src/${folder}/mod.ts`;
    if (!GRAPH.has(file)) {
      found.push(`${file} is missing`);
      continue;
    }
    const statements = withoutComments(Deno.readTextFileSync(join(ROOT, file)))
      .split(";").map((s) => s.trim()).filter((s) => s !== "");
    for (const s of statements) {
      if (!/^export\b[\s\S]*\bfrom\s*"\.\/[^"/]+\.ts"$/.test(s)) {
        found.push(`${file}: not a re-export: ${s.split("\n")[0]}`);
      } else if (/"\.\/_/.test(s)) found.push(`${file}: re-exports a private file: ${s}`);
    }
  }
  assertEquals(found, []);
});
