/**
 * Each typed error's message is a function of its facts (src/messages.ts):
 * one row per wording, the exact text a user reads.
 */
import { assert, assertEquals } from "./_assert.ts";
import {
  BlockedPortError,
  ConnectionRefusedError,
  ConnectionResetError,
  DigestMismatchError,
  NoSpaceError,
  NotFoundError,
  RateLimitedError,
  RegistryError,
  TlsError,
  UnauthorizedError,
  UnknownHostError,
} from "../src/errors.ts";
import { DocumentError } from "../src/document.ts";
import { networkError } from "../src/registry/errors.ts";

const at = { host: "r.test:5000", url: "https://r.test:5000/v2/x/manifests/1" };
const answer = { status: 404, method: "GET", url: at.url, action: "pull r.test:5000/x:1" };
const cert = { ...at, certificate: true, detail: "invalid peer certificate: UnknownIssuer" };
const TRUST =
  "set SREGISTRY_CA_FILE (or DENO_CERT) to a PEM file with the CA that signed it, or DENO_TLS_CA_STORE=system to trust the system's CAs";

const cases: { name: string; error: Error; message: string }[] = [
  {
    name: "no space, folder and setting",
    error: new NoSpaceError({ path: "/s", variable: "SREGISTRY_STORAGE" }),
    message:
      "Cannot write to /s: no space left on device (or quota exceeded): free space there or set SREGISTRY_STORAGE to a folder with more room",
  },
  {
    name: "no space, an option",
    error: new NoSpaceError({ path: "/s", variable: "--dir" }),
    message:
      "Cannot write to /s: no space left on device (or quota exceeded): free space there or give --dir a folder with more room",
  },
  {
    name: "no space, measured before unpacking",
    error: new NoSpaceError({
      action: "unpack the image in /tmp",
      path: "/tmp",
      variable: "SREGISTRY_TMPDIR",
      needed: 2_000_000,
      free: 1_000_000,
    }),
    message:
      "Cannot unpack the image in /tmp: no space left on device: it needs about 2.0 MB and 1.0 MB are free: free space there or set SREGISTRY_TMPDIR to a folder with more room",
  },
  {
    name: "no space, a tool",
    error: new NoSpaceError({ tool: "mksquashfs", detail: "FATAL ERROR: No space left" }),
    message:
      "Cannot build the image: mksquashfs failed: FATAL ERROR: No space left: check free space in the storage folder and run again",
  },
  {
    name: "unknown host, bare",
    error: new UnknownHostError(at),
    message: "unknown host r.test:5000",
  },
  {
    name: "unknown host",
    error: new UnknownHostError({ ...at, action: "pull x" }),
    message:
      "Cannot pull x: unknown host r.test:5000: check the registry name and your DNS/proxy settings",
  },
  {
    name: "refused",
    error: new ConnectionRefusedError({ ...at, action: "pull x" }),
    message:
      "Cannot pull x: connection to r.test:5000 refused: check the host and port, and whether the registry is up (or needs --no-https)",
  },
  {
    name: "reset",
    error: new ConnectionResetError({ ...at, action: "pull x" }),
    message:
      "Cannot pull x: connection to r.test:5000 reset: check your connection and proxy settings, then try again",
  },
  {
    name: "TLS, bare",
    error: new TlsError(cert),
    message: "TLS failure talking to r.test:5000 (invalid peer certificate: UnknownIssuer)",
  },
  {
    name: "TLS certificate, SREGISTRY_CA_FILE set",
    error: new TlsError({ ...cert, action: "connect to r.test:5000", settings: { caFile: "/ca" } }),
    message:
      `Cannot connect to r.test:5000: its TLS certificate is not trusted (invalid peer certificate: UnknownIssuer): check that SREGISTRY_CA_FILE (/ca) holds the CA that signed it, or ${TRUST}`,
  },
  {
    name: "TLS certificate, SREGISTRY_HTTPS_NOVERIFY set",
    error: new TlsError({
      ...cert,
      action: "connect to r.test:5000",
      settings: { httpsNoVerify: true },
    }),
    message:
      `Cannot connect to r.test:5000: its TLS certificate is not trusted (invalid peer certificate: UnknownIssuer): SREGISTRY_HTTPS_NOVERIFY is set, but Deno cannot turn certificate checks off from inside a program: run with the flag --unsafely-ignore-certificate-errors=r.test (deno run/compile), or ${TRUST}`,
  },
  {
    name: "TLS handshake",
    error: new TlsError({ ...at, action: "pull x", certificate: false, detail: "handshake" }),
    message:
      `Cannot pull x: the TLS handshake failed (handshake): ${TRUST}; for a plain-HTTP registry use --no-https`,
  },
  {
    name: "blocked port",
    error: new BlockedPortError({
      ...at,
      action: "connect to r.test:6000",
      host: "r.test:6000",
      port: 6000,
    }),
    message:
      'Cannot connect to r.test:6000: port 6000 is one web fetch refuses (the WHATWG "bad ports", e.g. 6000, 5060, 6665-6669, 10080): run the registry on another port (5000 is usual), or forward one to it (e.g. ssh -L 5000:r.test:6000 host)',
  },
  {
    name: "not found",
    error: new NotFoundError({
      ...answer,
      statusText: "Not Found",
      errors: [{ code: "MANIFEST_UNKNOWN" }],
    }),
    message:
      "Cannot pull r.test:5000/x:1: r.test:5000 answered 404 Not Found: MANIFEST_UNKNOWN: check the name and tag; `sregistry tags REF` lists tags",
  },
  {
    name: "unauthorized, the registry's words clipped to one line",
    error: new UnauthorizedError({
      ...answer,
      status: 401,
      loginHost: "docker.io",
      errors: [{ code: "UNAUTHORIZED", message: "log\nin" }],
    }),
    message:
      "Cannot pull r.test:5000/x:1: r.test:5000 answered 401: UNAUTHORIZED (log\\x0ain): run `sregistry login docker.io` with an account that may pull it, or check the name",
  },
  {
    name: "rate limited",
    error: new RateLimitedError({ ...answer, status: 429, summary: '"slow down"' }),
    message:
      'Cannot pull r.test:5000/x:1: r.test:5000 answered 429: "slow down": the registry\'s pull rate limit is reached: retry later; logging in (`sregistry login r.test:5000`) raises the limit',
  },
  {
    name: "server error",
    error: new RegistryError({ ...answer, status: 503 }),
    message:
      "Cannot pull r.test:5000/x:1: r.test:5000 answered 503: no details: the registry has a problem; try again later",
  },
  {
    name: "redirect loop",
    error: new RegistryError({ ...answer, status: 307, fault: { kind: "redirect-loop", max: 10 } }),
    message:
      "Cannot pull r.test:5000/x:1: r.test:5000 redirected more than 10 times in a row: the registry or a proxy in front of it is misconfigured; report it to its operator",
  },
  {
    name: "token realm not https",
    error: new RegistryError({
      status: 401,
      method: "GET",
      url: "http://auth.test",
      host: "r.test",
      fault: { kind: "realm-not-https", origin: "http://auth.test" },
    }),
    message:
      "Cannot authenticate to r.test: token realm http://auth.test is not https: the registry's WWW-Authenticate challenge is broken; report it to its operator",
  },
  {
    name: "digest mismatch, the cache",
    error: new DigestMismatchError({
      expected: "sha256:a",
      actual: "sha256:b",
      what: "the cached blob /c/b",
      fault: "cache",
    }),
    message:
      "Cannot verify the cached blob /c/b: expected sha256:a, got sha256:b: the cached copy was damaged and is removed: pull again to fetch it anew",
  },
  {
    name: "document, credentials removed from its origin",
    error: new DocumentError({
      kind: "manifest",
      origin: "https://user:secret@r.test/v2/x/manifests/1?token=t",
      issues: [{ path: "$.layers", message: "is missing (expected an array)" }],
      fix: "report it",
    }),
    message:
      "Cannot read the manifest https://r.test/v2/x/manifests/1: $.layers is missing (expected an array): report it",
  },
];

Deno.test("each typed error's message is made from its facts, as 'Cannot <action>: <state>: <fix>'", () => {
  for (const c of cases) {
    assertEquals(c.error.message, c.message, c.name);
    if (!c.name.endsWith("bare")) assert(c.message.startsWith("Cannot "), c.name);
  }
});

Deno.test("networkError() completes a bare classification with the action, keeping its class", () => {
  const tls = networkError(new TlsError(cert), at.url, "pull x");
  assert(tls instanceof TlsError);
  assertEquals(
    tls.message,
    `Cannot pull x: its TLS certificate is not trusted (invalid peer certificate: UnknownIssuer): ${TRUST}`,
  );
  const reset = networkError(new ConnectionResetError(at), at.url, "pull x");
  assert(reset instanceof ConnectionResetError);
  assertEquals(
    reset.message,
    "Cannot pull x: connection to r.test:5000 reset: check your connection and proxy settings, then try again",
  );
  // Already complete (the HTTP client's, which knows the settings): kept as it is.
  const complete = new TlsError({ ...cert, action: "connect to r.test:5000", settings: {} });
  assertEquals(networkError(complete, at.url, "pull x"), complete);
});
