/**
 * Following a tag list's `Link: <...>; rel="next"` pagination (distribution
 * spec, "Listing Tags") with bounds: a registry whose next link points back
 * to a page already read (itself, or an earlier one), or that keeps sending
 * pages without a new tag, or more than {@linkcode MAX_TAG_PAGES} pages, is
 * refused instead of being followed for ever. Pure apart from the injected
 * `getPage`.
 * @module
 */
import { SregistryError } from "../errors.ts";
import { nextLink, parseTagPage } from "./_headers.ts";

/** Pages followed at most: 10,000 pages of the default 100 tags is a million tags. */
export const MAX_TAG_PAGES = 10_000;
/** Pages in a row without a new tag after which the pagination is taken as looping. */
export const MAX_PAGES_WITHOUT_NEW_TAG = 10;
/** A progress event every this many pages. */
export const PROGRESS_EVERY_PAGES = 50;

/** What {@linkcode followTagPages} needs. */
export interface TagPaging {
  /** The first page's URL (`https://host/v2/<name>/tags/list[?n=N]`). */
  firstUrl: string;
  /** `host[:port]` of the registry, for messages. */
  registry: string;
  /** The action for messages: `list the tags of host/name`. */
  action: string;
  /** Fetches one page: its body and its `Link` header (null when absent). */
  getPage: (url: string) => Promise<{ text: string; link: string | null }>;
  /** Told every {@linkcode PROGRESS_EVERY_PAGES} pages, with a sentence to show. */
  onProgress?: (message: string) => void;
  /** Page bound (tests); default {@linkcode MAX_TAG_PAGES}. */
  maxPages?: number;
}

/**
 * Reads every page of a tag list and returns the tags, sorted and unique.
 * @throws {SregistryError} When a page is not a JSON tag list, when a next
 *   link repeats a page already read, when {@linkcode MAX_PAGES_WITHOUT_NEW_TAG}
 *   pages in a row bring no new tag, or past `maxPages` pages; each message
 *   names the registry. Errors of `getPage` pass through.
 */
export async function followTagPages(p: TagPaging): Promise<string[]> {
  const maxPages = p.maxPages ?? MAX_TAG_PAGES;
  const tags = new Set<string>();
  const visited = new Set<string>();
  let url: string | undefined = p.firstUrl;
  let barren = 0;
  const fail = (why: string) =>
    new SregistryError(
      `Cannot ${p.action}: the registry ${p.registry} ${why}: its tag list pagination loops; report it to the registry's operator`,
    );
  while (url) {
    if (visited.has(url)) {
      throw fail(
        `sent a next link to a page already read (${pathOf(url)}) after ${visited.size} pages`,
      );
    }
    if (visited.size >= maxPages) throw fail(`sent more than ${maxPages} pages of tags`);
    visited.add(url);
    const page = await p.getPage(url);
    const pageTags = parseTagPage(page.text);
    if (!pageTags) {
      throw new SregistryError(
        `Cannot ${p.action}: the registry ${p.registry} answered non-JSON: try again`,
      );
    }
    const before = tags.size;
    for (const t of pageTags) tags.add(t);
    barren = tags.size > before ? 0 : barren + 1;
    url = nextLink(page.link, url);
    if (url && barren >= MAX_PAGES_WITHOUT_NEW_TAG) {
      throw fail(`sent ${barren} pages in a row without a new tag`);
    }
    if (url && visited.size % PROGRESS_EVERY_PAGES === 0) {
      p.onProgress?.(
        `Listing tags from ${p.registry}: ${visited.size} pages, ${tags.size} tags so far`,
      );
    }
  }
  return [...tags].sort();
}

/** The path and query of a URL, as the registry wrote its link. */
function pathOf(url: string): string {
  const u = new URL(url);
  return u.pathname + u.search;
}
