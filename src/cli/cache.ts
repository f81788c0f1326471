/**
 * `sregistry cache ls | prune | clean`: see and clean the blob cache, and the
 * blob part of `rm --prune`.
 * @module
 */
import type { Command } from "@commander-js/extra-typings";
import { UsageError } from "../errors.ts";
import type { BlobCache } from "../store/blob_cache.ts";
import type { Catalogue } from "../store/catalogue.ts";
import {
  type BlobUsage,
  type CacheUsage,
  cacheUsage,
  joinUsage,
  listBlobs,
  recordBlobs,
} from "../store/cache_usage.ts";
import {
  blobsInUse,
  lostRecords,
  parseDuration,
  parseSize,
  planExclusive,
  planPrune,
  removeBlobs,
  type RemoveResult,
} from "../store/cache_prune.ts";
import type { ImageRecord } from "../store/record.ts";
import { recordName as displayName } from "../store/record.ts";
import type { CliContext } from "./context.ts";
import { releaseOnInterrupt } from "./interrupt.ts";
import { print, printErr } from "./output.ts";
import { humanSize } from "../size.ts";
import { readSecret } from "./prompt.ts";

function when(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16).replace("T", " ");
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function table(rows: string[][]): void {
  if (rows.length === 0) return;
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  for (const row of rows) print(row.map((cell, i) => cell.padEnd(widths[i])).join("  ").trimEnd());
}

function userNames(usage: CacheUsage, blob: BlobUsage): string {
  if (blob.users.length === 0) return "(unused)";
  const names = new Map(usage.records.map((r) => [r.record.id, displayName(r.record)]));
  return blob.users.map((id) => names.get(id) ?? `#${id}`).join(", ");
}

function records(c: CliContext): ImageRecord[] {
  return c.catalogue()?.all() ?? [];
}

/**
 * What no removal may take now: pinned blobs, and the blobs of records that
 * were not in the plan's `usage` (a pull that committed meanwhile).
 */
function inUse(c: CliContext, cache: BlobCache, usage: CacheUsage): () => Set<string> {
  const planned = new Set(usage.records.map((r) => r.record.id));
  const recorded = () => records(c).filter((r) => !planned.has(r.id)).flatMap(recordBlobs);
  return blobsInUse(cache, { tmpDir: c.settings.tmpDir, recorded });
}

/** Prints what a removal did: freed space, skipped blobs, images that lost blobs. */
function report(usage: CacheUsage, result: RemoveResult, verb = "Removed"): void {
  const freed = result.removed.reduce((n, b) => n + b.size, 0);
  const after = usage.total - freed;
  print(
    `${verb} ${plural(result.removed.length, "blob")}, ${humanSize(freed)}; the cache holds ${
      humanSize(after)
    }`,
  );
  if (result.skipped.length > 0) {
    const size = humanSize(result.skipped.reduce((n, b) => n + b.size, 0));
    printErr(`Kept ${plural(result.skipped.length, "blob")} (${size}) in use by a running pull`);
  }
  const lost = lostRecords(usage, result.removed.map((b) => b.digest));
  if (lost.length > 0) {
    printErr(
      `${plural(lost.length, "image")} lost blobs and can no longer be rebuilt offline ` +
        `(their SIF files are kept; pull again with network access to restore):`,
    );
    for (const r of lost) printErr(`  ${displayName(r)}`);
  }
}

function ls(c: CliContext, opts: { json?: boolean }): void {
  const cache = c.blobCache();
  const usage = cacheUsage(cache, records(c));
  if (opts.json) return print(JSON.stringify({ root: cache.root, ...usage }, null, 2));
  if (usage.blobs.length === 0) return printErr(`The blob cache ${cache.root} is empty.`);
  const sorted = [...usage.blobs].sort((a, b) => b.lastUsed - a.lastUsed);
  table([
    ["BLOB", "SIZE", "LAST USED (UTC)", "USED BY"],
    ...sorted.map((
      b,
    ) => [b.digest.slice(0, 19), humanSize(b.size), when(b.lastUsed), userNames(usage, b)]),
  ]);
  const unused = usage.blobs.filter((b) => b.users.length === 0);
  const unusedSize = unused.reduce((n, b) => n + b.size, 0);
  print(
    `${plural(usage.blobs.length, "blob")}, ${humanSize(usage.total)} in total in ${cache.root}; ` +
      `${plural(unused.length, "blob")} (${humanSize(unusedSize)}) used by no image`,
  );
}

async function prune(
  c: CliContext,
  opts: { olderThan?: string; maxSize?: string; dryRun?: boolean },
): Promise<void> {
  const parse = <T>(fn: () => T): T => {
    try {
      return fn();
    } catch (e) {
      throw new UsageError(`Cannot prune the cache: ${(e as Error).message}`);
    }
  };
  const olderThanMs = opts.olderThan === undefined
    ? undefined
    : parse(() => parseDuration(opts.olderThan!));
  const maxSize = opts.maxSize === undefined ? undefined : parse(() => parseSize(opts.maxSize!));
  const catalogue = c.requireCatalogue("prune the cache (it tells which blobs images use)");
  const cache = c.blobCache();
  const usage = cacheUsage(cache, catalogue.all());
  const plan = planPrune(usage, { olderThanMs, maxSize });
  if (opts.dryRun) {
    for (const b of plan.remove) {
      print(`would remove ${b.digest} (${humanSize(b.size)}) ${userNames(usage, b)}`);
    }
    report(usage, { removed: plan.remove, skipped: [] }, "Would remove");
    return;
  }
  using _interrupts = releaseOnInterrupt("the cache prune");
  const result = await removeBlobs(cache, plan.remove, { inUse: inUse(c, cache, usage) });
  report(usage, result);
  const size = listBlobs(cache).reduce((n, b) => n + b.size, 0);
  if (maxSize !== undefined && size > maxSize) {
    printErr(
      `The cache is still ${humanSize(size)}, above ${
        humanSize(maxSize)
      }: the rest is in use or newer than --older-than`,
    );
  }
}

async function confirm(question: string): Promise<boolean> {
  const answer = await readSecret(`${question} [y/N] `, { echo: true });
  return /^y(es)?$/i.test(answer.trim());
}

async function clean(c: CliContext, opts: { force?: boolean }): Promise<void> {
  const cache = c.blobCache();
  const usage = cacheUsage(cache, records(c));
  if (!opts.force) {
    if (!Deno.stdin.isTerminal()) {
      throw new UsageError(
        "Cannot clean the cache without confirmation: standard input is not a terminal: add --force",
      );
    }
    const what = `${plural(usage.blobs.length, "blob")} (${humanSize(usage.total)})`;
    if (!(await confirm(`Remove all ${what} from ${cache.root}?`))) {
      printErr("Nothing removed.");
      return;
    }
  }
  using _interrupts = releaseOnInterrupt("the cache clean");
  const result = await removeBlobs(cache, usage.blobs, { inUse: inUse(c, cache, usage) });
  report(usage, result);
}

/**
 * `rm --prune`: removes the blobs only `removed` used (call it once its record
 * is gone from the catalogue), skipping blobs a running pull holds.
 *
 * @param c the CLI context.
 * @param catalogue the catalogue, without the record any more.
 * @param removed the removed record.
 */
export async function pruneImageBlobs(
  c: CliContext,
  catalogue: Catalogue,
  removed: ImageRecord,
): Promise<void> {
  const cache = c.blobCache();
  const usage = joinUsage(listBlobs(cache), [...catalogue.all(), removed]);
  using _interrupts = releaseOnInterrupt("removing the image's blobs");
  const result = await removeBlobs(cache, planExclusive(usage, removed.id), {
    inUse: inUse(c, cache, usage),
  });
  const freed = result.removed.reduce((n, b) => n + b.size, 0);
  printErr(
    `Removed ${plural(result.removed.length, "blob")} (${humanSize(freed)}) only this image used`,
  );
  if (result.skipped.length > 0) {
    printErr(`Kept ${plural(result.skipped.length, "blob")} in use by a running pull`);
  }
}

/** Adds `cache ls`, `cache prune` and `cache clean` to `program`. */
export function addCacheCommands(program: Command, ctx: () => CliContext): void {
  const cache = program.command("cache").description("see and clean the blob cache");
  cache.command("ls").description("list cached blobs: size, last use, and which images use them")
    .option("--json", "print JSON")
    .action((opts) => ls(ctx(), opts));
  cache.command("prune")
    .description(
      "remove blobs no image uses (with --max-size, also least recently used images' blobs)",
    )
    .option("--older-than <duration>", "only blobs unused for this long (30d, 12h, 90m, 2w)")
    .option(
      "--max-size <size>",
      "then remove least recently used images' blobs until the cache fits (10G, 500MB)",
    )
    .option("--dry-run", "say what would be removed, remove nothing")
    .action((opts) => prune(ctx(), opts));
  cache.command("clean").description("remove every blob (asks first on a terminal)")
    .option("-f, --force", "do not ask")
    .action((opts) => clean(ctx(), opts));
}
