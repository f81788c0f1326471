/**
 * Following a redirect by hand (the client sends with `redirect: "manual"`
 * so that credentials never follow to another host): where it leads, or why
 * it cannot be followed.
 * @module
 */
import { RegistryError } from "../errors.ts";

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
  const host = new URL(url).host;
  let reason: string | undefined;
  let next: URL | undefined;
  try {
    next = new URL(location, url);
  } catch {
    reason = "to a Location that is not a URL";
  }
  if (next && next.protocol !== "http:" && next.protocol !== "https:") {
    reason = `to a ${next.protocol} URL, which is not http or https`;
  }
  if (!reason && hop >= MAX_REDIRECTS) reason = `more than ${MAX_REDIRECTS} times in a row`;
  if (reason) {
    throw new RegistryError(
      `Cannot ${at.action}: ${host} redirected ${reason}: the registry or a proxy in front of it is misconfigured; report it to its operator`,
      {
        status: at.status,
        method: at.method,
        url: `${new URL(url).origin}${new URL(url).pathname}`,
      },
    );
  }
  return next!.href;
}
