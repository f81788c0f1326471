/** The `sregistry` command: runs the CLI and exits with its code. */
import { main } from "./src/cli/mod.ts";

if (import.meta.main) Deno.exit(await main(Deno.args));
