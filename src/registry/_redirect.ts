/**
 * Following a redirect by hand (the client sends with `redirect: "manual"`
 * so that credentials never follow to another host): where it leads, or why
 * it cannot be followed.
 * @module
 */
import { RegistryError, type RegistryFault } from "../errors.ts";

/** Redirects followed in a row before giving up. */
export const MAX_REDIRECTS = 10;

/**
 * Where a redirect from `url` leads: an http(s) URL. A Location that is not
 * a URL, of another scheme, or the 11th redirect in a row is the registry's
 * (or a proxy's) fault: a {@linkcode RegistryError} saying so. The Location
 * itself is not quoted (it may carry a signed query).
 * @param url the URL that answered with the redirect
 * @param location its `Location` header
 * @param hop redirects followed so far (0 for the first)
 * @param at what the request was for, for the message
 * @returns the absolute URL to request next
 * @throws {RegistryError} for a Location that cannot be followed
 */
export function redirectTarget(
  url: string,
  location: string,
  hop: number,
  at: { action: string; status: number; method: string },
): string {
  let fault: RegistryFault | undefined;
  let next: URL | undefined;
  try {
    next = new URL(location, url);
  } catch {
    fault = { kind: "redirect-not-url" };
  }
  if (next && next.protocol !== "http:" && next.protocol !== "https:") {
    fault = { kind: "redirect-scheme", protocol: next.protocol };
  }
  if (!fault && hop >= MAX_REDIRECTS) fault = { kind: "redirect-loop", max: MAX_REDIRECTS };
  if (fault) {
    const u = new URL(url);
    throw new RegistryError({
      action: at.action,
      status: at.status,
      method: at.method,
      url: `${u.origin}${u.pathname}`,
      host: u.host,
      fault,
    });
  }
  return next!.href;
}
