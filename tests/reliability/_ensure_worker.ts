/**
 * Child process for the cross-process blob cache test: `ensure()` one blob,
 * streamed from URL. Prints "downloaded" or "cached".
 * Usage: _ensure_worker.ts CACHE_ROOT DIGEST SIZE URL
 * @module
 */
import { BlobCache } from "../../src/store/blob_cache.ts";

const [root, digest, size, url] = Deno.args;
const cache = new BlobCache(root, { pollMs: 20 });
const fetched = await cache.ensure({ digest, size: Number(size) }, async () => {
  const res = await fetch(url);
  if (!res.ok || !res.body) throw new Error(`GET ${url}: ${res.status}`);
  return res.body;
});
Deno.stdout.writeSync(new TextEncoder().encode(fetched ? "downloaded\n" : "cached\n"));
