/**
 * Unpacks tar files (uncompressed or compressed) into a directory with the
 * default options and prints `{ stats, warnings }` as JSON; used to run the
 * extractor as an unprivileged user. Usage: _unpack_cli.ts ROOT TAR...
 * @module
 */
import { decompress } from "../../src/layers/decompress.ts";
import { RootfsWriter } from "../../src/layers/extract.ts";

const [root, ...tars] = Deno.args;
const warnings: string[] = [];
const writer = new RootfsWriter(root, { onWarning: (m) => warnings.push(m) });
const stats = [];
for (const tar of tars) {
  const file = await Deno.open(tar);
  stats.push(await writer.applyLayer(decompress(file.readable, "unknown"), tar));
}
await writer.finish();
Deno.stdout.writeSync(new TextEncoder().encode(JSON.stringify({ stats, warnings })));
