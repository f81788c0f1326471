/**
 * The scripting API's boundary: bad arguments are a TypeError naming the
 * argument and what it takes (they used to surface as "Cannot read
 * properties of undefined", "queries.map is not a function", a Node paths
 * error, or a mksquashfs failure with nothing above it); `signal` stops a
 * pull cleanly.
 */
import { assert, assertEquals, assertRejects, assertStringIncludes } from "../_assert.ts";
import { cliHome } from "../_cli.ts";
import { buildImage } from "../_images.ts";
import { pushImage, registryBinary, startRegistry } from "../_registry.ts";
import { add, get, images, inspect, mv, pull, rename, rm } from "../../mod.ts";

type Call = [string, () => Promise<unknown>, string];
// deno-lint-ignore no-explicit-any
const any = (x: unknown) => x as any;
const REF = "127.0.0.1:1/test/img:v1";

const CALLS: Call[] = [
  ["pull(undefined)", () => pull(any(undefined)), "pull(): reference must be a non-empty image"],
  ["pull(ref, null)", () => pull(REF, any(null)), "pull(): options must be an object"],
  ["builder", () => pull(REF, any({ builder: "bogus" })), "options.builder must be one of auto"],
  ["name", () => pull(REF, any({ name: 123 })), "options.name must be a non-empty path, not 123"],
  [
    "compression",
    () => pull(REF, any({ compression: "bogus" })),
    "options.compression must be one of gzip, zstd, lz4, xz",
  ],
  [
    "platform",
    () => pull(REF, any({ platform: 5 })),
    'options.platform must be a string "os/arch[/variant]"',
  ],
  ["jobs", () => pull(REF, { jobs: 0 }), "options.jobs must be a whole number from 1 to 64, not 0"],
  ["typo", () => pull(REF, any({ nocache: true })), "options.nocache is not an option of pull()"],
  ["signal", () => pull(REF, any({ signal: "stop" })), "options.signal must be an AbortSignal"],
  [
    "images(5)",
    () => images(any(5)),
    "images(): query must be a string or an array of strings, not 5",
  ],
  ["images([1])", () => images(any([1])), "images(): query"],
  ["get(42)", () => get(any(42)), "get(): reference must be a non-empty string, not 42"],
  ["inspect(null)", () => inspect(any(null)), "inspect(): reference must be"],
  ["rm('')", () => rm(""), 'rm(): reference must be a non-empty string, not ""'],
  ["mv(ref, 5)", () => mv(REF, any(5)), "mv(): path must be a non-empty path, not 5"],
  ["rename(ref, {})", () => rename(REF, any({})), "rename(): newReference must be"],
  ["add(5, name)", () => add(any(5), "x"), "add(): file must be"],
  ["env", () => get(REF, any({ env: 5 })), "get(): options.env must be an object of strings"],
  ["session", () => get(REF, any({ session: {} })), "options.session must be a Session"],
];

Deno.test("the API refuses bad arguments with a TypeError naming the argument", async () => {
  for (const [name, call, message] of CALLS) {
    const e = await assertRejects(call, TypeError);
    assertStringIncludes(e.message, message, name);
  }
});

Deno.test({
  name: "pull({ signal }) stops the pull: rejects with the reason, nothing written or recorded",
  ignore: registryBinary() === undefined,
  async fn() {
    await using reg = await startRegistry();
    await using home = await cliHome();
    const random = (n: number) => crypto.getRandomValues(new Uint8Array(n));
    const image = await buildImage({
      layers: [0, 1, 2].map((i) => ({ entries: [{ name: `f${i}`, content: random(60_000) }] })),
    });
    await pushImage(reg, "test/abort", "v1", image);
    const ref = `${reg.host}/test/abort:v1`;
    const env = home.env;

    const before = new AbortController();
    before.abort(new Error("stopped by the script"));
    await assertRejects(
      () => pull(ref, { env, signal: before.signal }),
      Error,
      "stopped by the script",
    );

    const controller = new AbortController();
    let events = 0;
    const e = await assertRejects(() =>
      pull(ref, {
        env,
        signal: controller.signal,
        onEvent: (e) => {
          events++;
          if (e.kind === "layer") controller.abort();
        },
      })
    );
    assertEquals((e as Error).name, "AbortError");
    assert(events > 0);
    const leftovers = (dir: string): string[] => {
      try {
        return [...Deno.readDirSync(dir)].flatMap((d) =>
          d.isDirectory ? leftovers(`${dir}/${d.name}`) : [`${dir}/${d.name}`]
        );
      } catch {
        return [];
      }
    };
    assertEquals(leftovers(`${home.home}/tmp`), [], "work folders removed");
    assertEquals(leftovers(`${home.home}/.singularity/shub`), [], "no partial image");
    const cache = leftovers(`${home.home}/.singularity/oci`);
    assertEquals(cache.filter((p) => /\.lock$|\/\.pins\/.+\.json$/.test(p)), [], "no lock, no pin");
    assertEquals(await images([], { env }), [], "nothing recorded");
    // The same pull then works.
    const done = await pull(ref, { env });
    assert(done.path.endsWith(".sif"));
  },
});
