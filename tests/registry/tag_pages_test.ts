/**
 * Tag list pagination that never ends: a next link back to the same page, a
 * cycle of two pages, links that change but bring no new tag, and more pages
 * than the bound. Each fails naming the registry instead of looping.
 */
import { assertEquals, assertRejects } from "../_assert.ts";
import { SregistryError } from "../../src/errors.ts";
import { followTagPages, type TagPaging } from "../../src/registry/tag_pages.ts";

const BASE = "http://127.0.0.1:5000/v2/tagloop/tags/list";

function paging(
  pages: (url: URL) => { tags: string[]; next?: string },
  extra: Partial<TagPaging> = {},
): TagPaging & { requests: string[] } {
  const requests: string[] = [];
  return {
    requests,
    firstUrl: `${BASE}?n=1`,
    registry: "127.0.0.1:5000",
    action: "list the tags of 127.0.0.1:5000/tagloop",
    getPage: (url) => {
      requests.push(url);
      const page = pages(new URL(url));
      return Promise.resolve({
        text: JSON.stringify({ name: "tagloop", tags: page.tags }),
        link: page.next ? `<${page.next}>; rel="next"` : null,
      });
    },
    ...extra,
  };
}

Deno.test("followTagPages refuses a next link to the page just read", async () => {
  const p = paging(() => ({ tags: ["a"], next: "/v2/tagloop/tags/list?n=1&last=a" }));
  await assertRejects(
    () => followTagPages(p),
    SregistryError,
    "the registry 127.0.0.1:5000 sent a next link to a page already read (/v2/tagloop/tags/list?n=1&last=a) after 2 pages",
  );
  assertEquals(p.requests.length, 2);
});

Deno.test("followTagPages refuses a cycle of pages", async () => {
  const p = paging((u) =>
    u.searchParams.get("last") === "b"
      ? { tags: ["c"], next: "/v2/tagloop/tags/list?n=1&last=a" }
      : { tags: [u.searchParams.get("last") ?? "a", "b"], next: "/v2/tagloop/tags/list?n=1&last=b" }
  );
  await assertRejects(() => followTagPages(p), SregistryError, "page already read");
  assertEquals(p.requests.length, 3);
});

Deno.test("followTagPages refuses changing links that bring no new tag", async () => {
  let i = 0;
  const p = paging(() => ({ tags: ["a"], next: `/v2/tagloop/tags/list?n=1&last=a${i++}` }));
  await assertRejects(
    () => followTagPages(p),
    SregistryError,
    "127.0.0.1:5000 sent 10 pages in a row without a new tag",
  );
  assertEquals(p.requests.length, 11);
});

Deno.test("followTagPages stops past the page bound, telling progress on the way", async () => {
  let i = 0;
  const said: string[] = [];
  const p = paging(() => {
    i++;
    return { tags: [`t${i}`], next: `/v2/tagloop/tags/list?n=1&last=t${i}` };
  }, { maxPages: 120, onProgress: (m) => said.push(m) });
  await assertRejects(() => followTagPages(p), SregistryError, "sent more than 120 pages of tags");
  assertEquals(p.requests.length, 120);
  assertEquals(said, [
    "Listing tags from 127.0.0.1:5000: 50 pages, 50 tags so far",
    "Listing tags from 127.0.0.1:5000: 100 pages, 100 tags so far",
  ]);
});

Deno.test("followTagPages reads every page of an honest registry", async () => {
  const all = ["a", "b", "c", "d", "e"];
  const p = paging((u) => {
    const last = u.searchParams.get("last");
    const from = last ? all.indexOf(last) + 1 : 0;
    const tags = all.slice(from, from + 2);
    const more = from + 2 < all.length;
    return { tags, ...(more ? { next: `/v2/tagloop/tags/list?n=2&last=${tags[1]}` } : {}) };
  });
  assertEquals(await followTagPages(p), all);
  assertEquals(p.requests.length, 3);
});
