/**
 * Shell completion and the man page, generated from the command tree and
 * tested in the real shells and with the real man tools: the bash script is
 * sourced in bash and its function called with COMP_WORDS; the zsh function
 * runs with `words`/CURRENT and `compadd` recorded; fish answers
 * `complete -C`; the man page renders with `man -l` and groff gives no
 * warning. Shells and tools that are not installed are skipped.
 */
import { assert, assertEquals, assertStringIncludes } from "../_assert.ts";
import { runCli } from "../_cli.ts";
import { which } from "../../src/build/command.ts";

async function generated(args: string[]): Promise<string> {
  const r = await runCli(args);
  assertEquals(r.code, 0, r.stderr);
  return r.stdout;
}

async function shell(program: string, args: string[], cwd?: string): Promise<string> {
  const out = await new Deno.Command(program, { args, cwd, env: { NO_COLOR: "1" } }).output();
  const err = new TextDecoder().decode(out.stderr);
  assertEquals(out.code, 0, err);
  assertEquals(err, "", `${program} wrote to stderr`);
  return new TextDecoder().decode(out.stdout);
}

/** Typed words (the last is the one being completed) and what must be offered. */
const CASES: { words: string[]; want: string[]; not?: string[] }[] = [
  { words: ["pu"], want: ["pull"] },
  { words: [""], want: ["pull", "images", "backend", "cache", "completion", "man", "shell"] },
  { words: ["backend", ""], want: ["ls", "status", "activate", "add", "remove", "delete"] },
  { words: ["--debug", "backend", "a"], want: ["activate", "add"], not: ["ls"] },
  { words: ["pull", "--compression", ""], want: ["gzip", "zstd", "lz4", "xz"] },
  { words: ["pull", "--builder", "a"], want: ["auto", "apptainer"], not: ["native"] },
  { words: ["pull", "--ar"], want: ["--arch", "--arch-variant"] },
  { words: ["pull", "--dis"], want: ["--disable-cache"] },
  { words: ["cache", "prune", "--"], want: ["--older-than", "--max-size", "--dry-run"] },
  { words: ["completion", ""], want: ["bash", "zsh", "fish"] },
  { words: ["pull", "--name", "fil"], want: ["file-a.sif"] },
];

/** A folder with one file, for file-name completion. */
function filesDir(): string {
  const dir = Deno.makeTempDirSync({ prefix: "sregistry-completion-" });
  Deno.writeTextFileSync(`${dir}/file-a.sif`, "");
  return dir;
}

function check(label: string, got: string[], c: (typeof CASES)[number]): void {
  for (const w of c.want) assert(got.includes(w), `${label} ${c.words.join(" ")}: ${got}`);
  for (const w of c.not ?? []) assert(!got.includes(w), `${label} ${c.words.join(" ")}: ${got}`);
}

Deno.test("sregistry completion bash completes commands, options, choices and files in bash", async () => {
  const script = await generated(["completion", "bash"]);
  const dir = filesDir();
  const file = `${dir}/sregistry.bash`;
  Deno.writeTextFileSync(file, script);
  const calls = CASES.map((c) => {
    const words = ["sregistry", ...c.words].map((w) => `'${w}'`).join(" ");
    return `COMP_WORDS=(${words}); COMP_CWORD=$((\${#COMP_WORDS[@]} - 1)); COMPREPLY=(); ` +
      `_sregistry; echo "\${COMPREPLY[*]}"`;
  });
  const out = await shell("bash", ["-c", `source ${file}\n${calls.join("\n")}`], dir);
  const lines = out.split("\n");
  CASES.forEach((c, i) => check("bash", lines[i].split(" "), c));
  // The options offered for `pull` are exactly the command's visible options.
  const pullHelp = await runCli(["pull", "--help"]);
  for (const flag of pullHelp.stdout.matchAll(/^\s+(?:-\w, )?(--[\w-]+)/gm)) {
    assertStringIncludes(script, flag[1]);
  }
  Deno.removeSync(dir, { recursive: true });
});

Deno.test({
  name: "sregistry completion zsh completes in zsh",
  ignore: which("zsh") === undefined,
  async fn() {
    const dir = filesDir();
    const file = `${dir}/_sregistry`;
    Deno.writeTextFileSync(file, await generated(["completion", "zsh"]));
    const calls = CASES.map((c) => {
      const words = ["sregistry", ...c.words].map((w) => `'${w}'`).join(" ");
      return `words=(${words}); CURRENT=\${#words}; _sregistry; print`;
    });
    const prelude = [
      "compdef() { :; }",
      `source ${file}`,
      // zsh's compadd keeps the words that start with the typed prefix; so does this one.
      'compadd() { setopt localoptions noksharrays; while [[ $1 != -- ]]; do shift; done; shift; local w; for w in "$@"; do [[ $w == ${words[CURRENT]}* ]] && print -rn -- "$w "; done; }',
      '_files() { print -rn -- "$(print -l fil*) "; }',
    ];
    const out = await shell("zsh", ["-f", "-c", [...prelude, ...calls].join("\n")], dir);
    const lines = out.split("\n");
    CASES.forEach((c, i) => check("zsh", lines[i].trim().split(" "), c));
    Deno.removeSync(dir, { recursive: true });
  },
});

Deno.test({
  name: "sregistry completion fish completes in fish",
  ignore: which("fish") === undefined,
  async fn() {
    const dir = filesDir();
    const file = `${dir}/sregistry.fish`;
    Deno.writeTextFileSync(file, await generated(["completion", "fish"]));
    const calls = CASES.map((c) =>
      `complete -C'sregistry ${c.words.join(" ")}' | string replace -r '\\t.*' ''; echo ---`
    );
    const out = await shell(
      "fish",
      ["--no-config", "-c", `source ${file}\n${calls.join("\n")}`],
      dir,
    );
    const groups = out.split("---\n");
    CASES.forEach((c, i) => check("fish", groups[i].trim().split("\n"), c));
    Deno.removeSync(dir, { recursive: true });
  },
});

Deno.test("sregistry completion refuses an unknown shell with a usage error", async () => {
  const r = await runCli(["completion", "tcsh"]);
  assertEquals(r.code, 2);
  assertStringIncludes(r.stderr, "bash, zsh, fish");
});

Deno.test("sregistry man renders with man -l and groff without warnings, every command in it", async () => {
  const page = await generated(["man"]);
  const dir = Deno.makeTempDirSync({ prefix: "sregistry-man-" });
  const file = `${dir}/sregistry.1`;
  Deno.writeTextFileSync(file, page);
  assert(page.startsWith('.TH SREGISTRY 1 ""'), page.slice(0, 80));
  let text = page;
  if (which("groff")) {
    const out = await new Deno.Command("groff", { args: ["-man", "-ww", "-z", file] }).output();
    assertEquals(new TextDecoder().decode(out.stderr), "", "groff warnings");
  }
  if (which("man")) {
    const out = await new Deno.Command("man", {
      args: ["-l", file],
      env: { MANWIDTH: "100", MANPAGER: "cat", PAGER: "cat" },
    }).output();
    assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
    // Overstrike bold and underline (char, backspace, char) read as plain text.
    text = new TextDecoder().decode(out.stdout).replace(
      new RegExp("." + String.fromCharCode(8), "g"),
      "",
    );
    assertStringIncludes(text, "SREGISTRY(1)");
    for (const section of ["NAME", "SYNOPSIS", "COMMANDS", "ENVIRONMENT", "EXIT STATUS"]) {
      assertStringIncludes(text, `\n${section}\n`);
    }
  }
  for (
    const command of [
      "pull",
      "images",
      "get",
      "inspect",
      "rm",
      "backend add",
      "cache prune",
      "shell",
    ]
  ) {
    assertStringIncludes(text, `sregistry ${command} [options]`);
  }
  for (const v of ["APPTAINER_CACHEDIR", "SINGULARITY_CACHEDIR", "SREGISTRY_TMPDIR"]) {
    assertStringIncludes(text, v);
  }
  assertStringIncludes(text, "--arch-variant");
  Deno.removeSync(dir, { recursive: true });
});
