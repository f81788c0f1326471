/**
 * `--help` of every visible command ends with examples and the environment
 * variables the command reads; every variable named is one sregistry reads
 * (the settings table) or a standard one it honours.
 */
import { assert, assertEquals } from "../_assert.ts";
import { runCli } from "../_cli.ts";
import { program } from "../../src/cli/mod.ts";
import { commandTree } from "../../src/cli/command_tree.ts";
import { COMMAND_HELP } from "../../src/cli/help_text.ts";
import { settingsTable } from "../../src/config/settings.ts";

const STANDARD = [
  "DOCKER_CONFIG",
  "HTTPS_PROXY",
  "HTTP_PROXY",
  "NO_PROXY",
  "TMPDIR",
  "XDG_RUNTIME_DIR",
  "SOURCE_DATE_EPOCH",
  "PATH",
  // Read by the CLI only (the progress display), not a setting:
  "SREGISTRY_PROGRESS_INTERVAL",
];

const paths = commandTree(program(() => {
  throw new Error("no command runs here");
})).slice(1).map((n) => n.path);

Deno.test("the help table has an entry for each visible command and no other", () => {
  assertEquals(Object.keys(COMMAND_HELP).sort(), paths.map((p) => p.join(" ")).sort());
});

Deno.test("sregistry COMMAND --help shows examples and the variables it reads, for each command", async () => {
  const known = new Set([...settingsTable().map((r) => r.name), ...STANDARD]);
  const queue = [...paths];
  const worker = async () => {
    for (let path = queue.shift(); path; path = queue.shift()) {
      const name = path.join(" ");
      const r = await runCli([...path, "--help"]);
      assertEquals(r.code, 0, `${name}: ${r.stderr}`);
      const examples = r.stdout.split("\nExamples:\n")[1]?.split("\n\n")[0] ?? "";
      const lines = examples.split("\n").filter((l) => l.startsWith("  $ sregistry"));
      assert(lines.length > 0, `${name} --help has no example: ${r.stdout}`);
      for (const line of lines) assert(line.includes(`sregistry ${name}`), `${name}: ${line}`);
      const env = r.stdout.split("\nEnvironment:\n")[1];
      assert(env !== undefined, `${name} --help has no Environment section`);
      const names = env.match(/\b[A-Z][A-Z0-9_]{2,}\b/g) ?? [];
      if (!env.trim().startsWith("none")) assert(names.length > 0, `${name}: ${env}`);
      for (const v of names.filter((n) => n !== "README")) {
        assert(known.has(v), `${name} --help names ${v}, which sregistry does not read`);
      }
    }
  };
  await Promise.all([worker(), worker(), worker()]);
});

Deno.test("sregistry pull --help names Apptainer's variables and flags", async () => {
  const r = await runCli(["pull", "--help"]);
  for (
    const s of [
      "APPTAINER_CACHEDIR",
      "APPTAINER_TMPDIR",
      "APPTAINER_DISABLE_CACHE",
      "--arch <arch>",
      "--arch-variant <variant>",
      "--dir <folder>",
      "--disable-cache",
      "--tmpdir <folder>",
      "--authfile <file>",
      "(-F works too)",
      "[OUT.sif] <reference>",
    ]
  ) {
    assert(r.stdout.includes(s), `pull --help lacks ${s}`);
  }
});
