/**
 * `deno task bundle`: one executable file, `dist/sregistry`, that runs
 * anywhere Deno is on PATH. `deno bundle` makes one JavaScript file from
 * main.ts and its npm dependencies; this script puts in front of it a
 * two-line header that `sh` runs and JavaScript ignores:
 *
 * ```
 * #!/bin/sh
 * //bin/true; exec deno run --quiet <the sregistry task's flags> --ext=js "$0" "$@"
 * ```
 *
 * The flags are not on the `#!` line itself (`#!/usr/bin/env -S deno run
 * ...`) because Linux before 5.1 (RHEL 7 and 8) reads only the first 127
 * bytes of that line, which would cut the permission flags (about 240
 * bytes), and RHEL 7's `env` has no `-S`. Deno skips the `#!` line; the
 * second line is a `//` comment to it. The flags come from deno.json's
 * `sregistry` task, so the bundle has exactly the README's permissions.
 * @module
 */

const ROOT = new URL("../", import.meta.url);

/** The `deno run` flags of the `sregistry` task (permissions, V8 tuning, --quiet). */
export function runFlags(denoJson: string): string[] {
  const task: string = JSON.parse(denoJson).tasks.sregistry;
  return task.split(" ").filter((a) => /^--(allow-|v8-flags=|quiet$)/.test(a));
}

/** The header in front of the bundled JavaScript. */
export function header(flags: string[]): string {
  return `#!/bin/sh\n//bin/true; exec deno run ${flags.join(" ")} --ext=js "$0" "$@"\n`;
}

if (import.meta.main) {
  const dist = new URL("dist/", ROOT);
  Deno.mkdirSync(dist, { recursive: true });
  const js = new URL("sregistry.bundle.js", dist);
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["bundle", "--quiet", "--output", js.pathname, "main.ts"],
    cwd: ROOT.pathname,
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!out.success) Deno.exit(out.code || 1);
  const flags = runFlags(Deno.readTextFileSync(new URL("deno.json", ROOT)));
  const body = Deno.readTextFileSync(js).replace(/^#![^\n]*\n/, "");
  const target = new URL("sregistry", dist);
  const partial = new URL("sregistry.partial", dist);
  Deno.writeTextFileSync(partial, header(flags) + body, { mode: 0o755 });
  Deno.chmodSync(partial, 0o755);
  Deno.renameSync(partial, target);
  Deno.removeSync(js);
  // deno-lint-ignore no-console
  console.log(`wrote ${target.pathname} (${Deno.statSync(target).size} bytes, executable)`);
}
