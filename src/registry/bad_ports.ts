/**
 * The ports web `fetch` refuses (the WHATWG Fetch standard's "bad port"
 * list, https://fetch.spec.whatwg.org/#port-blocking). Deno 2.9's `fetch`
 * fails at once on them ("Requests to port 6000 are blocked"); measured:
 * fetching 127.0.0.1 on every port 1 to 65535 is refused on exactly this
 * list. A registry on one of them is reached through `node:http` instead
 * (`node_fetch.ts`), or, where that cannot go (a proxy applies), refused at
 * once with {@linkcode badPortError}.
 * @module
 */
import { BlockedPortError } from "../errors.ts";
import type { ProxyFacts } from "../error_facts.ts";

/** The WHATWG bad ports, as Deno 2.9 applies them. */
export const BAD_PORTS: ReadonlySet<number> = new Set([
  1,
  7,
  9,
  11,
  13,
  15,
  17,
  19,
  20,
  21,
  22,
  23,
  25,
  37,
  42,
  43,
  53,
  69,
  77,
  79,
  87,
  95,
  101,
  102,
  103,
  104,
  109,
  110,
  111,
  113,
  115,
  117,
  119,
  123,
  135,
  137,
  139,
  143,
  161,
  179,
  389,
  427,
  465,
  512,
  513,
  514,
  515,
  526,
  530,
  531,
  532,
  540,
  548,
  554,
  556,
  563,
  587,
  601,
  636,
  989,
  990,
  993,
  995,
  1719,
  1720,
  1723,
  2049,
  3659,
  4045,
  4190,
  5060,
  5061,
  6000,
  6566,
  6665,
  6666,
  6667,
  6668,
  6669,
  6679,
  6697,
  10080,
]);

/** The URL's port when it is one `fetch` refuses, else undefined. */
export function badPortOf(url: string): number | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") return undefined;
  const port = Number(u.port || (u.protocol === "https:" ? 443 : 80));
  return BAD_PORTS.has(port) ? port : undefined;
}

/**
 * The proxy variable that applies to `url` (`HTTPS_PROXY`, `http_proxy`,
 * `ALL_PROXY`, ...) unless `NO_PROXY` exempts its host, as Deno reads them.
 * @param env reads an environment variable
 * @returns the variable's name, or undefined when no proxy applies
 */
export function proxyVariable(
  url: string,
  env: (name: string) => string | undefined,
): string | undefined {
  const u = new URL(url);
  const names = u.protocol === "https:"
    ? ["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"]
    : ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"];
  const name = names.find((n) => env(n));
  if (!name) return undefined;
  const noProxy = (env("NO_PROXY") ?? env("no_proxy") ?? "").split(",").map((x) => x.trim())
    .filter(Boolean);
  const host = u.hostname.toLowerCase();
  const exempt = noProxy.some((entry) => {
    if (entry === "*") return true;
    const [h, port] = entry.toLowerCase().replace(/^\*?\./, ".").split(/:(?=\d+$)/);
    if (port && port !== (u.port || (u.protocol === "https:" ? "443" : "80"))) return false;
    return h.startsWith(".") ? host.endsWith(h) || host === h.slice(1) : host === h ||
      host.endsWith(`.${h}`);
  });
  return exempt ? undefined : name;
}

/**
 * The proxy that applies to `url` (see {@linkcode proxyVariable}): its
 * variable and address, scheme, host and port only (a user name and password
 * in the variable are left out).
 * @returns undefined when no proxy applies
 */
export function proxyFacts(
  url: string,
  env: (name: string) => string | undefined,
): ProxyFacts | undefined {
  const variable = proxyVariable(url, env);
  if (!variable) return undefined;
  const value = env(variable)!.trim();
  try {
    const u = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`);
    return { variable, address: `${u.protocol}//${u.host}` };
  } catch {
    return { variable, address: "(not a URL)" };
  }
}

/**
 * The error for a registry on a port `fetch` refuses.
 * @param url the request's URL
 * @param why what stopped the other route, e.g. `HTTP_PROXY is set`
 */
export function badPortError(url: string, why?: string): BlockedPortError {
  const u = new URL(url);
  return new BlockedPortError({
    host: u.host,
    url: `${u.origin}${u.pathname}`,
    action: `connect to ${u.host}`,
    port: badPortOf(url),
    why,
  });
}
