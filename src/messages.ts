/**
 * The wording of the typed errors of `src/errors.ts` and `src/document.ts`:
 * each class's message is a function of its facts, made here and nowhere
 * else. Throw sites pass facts (host, URL, path, the setting that moves a
 * folder, the tool, the action, the status, the TLS settings in force), never
 * sentences; a test or a translation reads this one file.
 *
 * Every message reads "Cannot <action>: <state>: <what to do>". Facts that
 * come from outside (a registry's error text, an HTML title) are clipped and
 * have control characters escaped before they reach a terminal; URLs carry no
 * query or credentials (the throw sites pass them so), and no message quotes
 * a token or a document's values.
 * @module
 */
import type {
  BlockedPortFacts,
  DigestFault,
  DigestMismatchFacts,
  DocumentIssue,
  NetworkFacts,
  NetworkFailure,
  NoSpaceFacts,
  RegistryAnswer,
  RegistryFacts,
  RegistryFault,
  TlsFacts,
} from "./error_facts.ts";
import { humanSize } from "./size.ts";

/** What moves a full folder: `give --dir a folder` or `set VAR to a folder`. */
function roomFix(variable: string | undefined): string {
  if (!variable) return "free space there and run again";
  return variable.startsWith("--")
    ? `free space there or give ${variable} a folder with more room`
    : `free space there or set ${variable} to a folder with more room`;
}

/** The message of a `NoSpaceError`. */
export function noSpaceMessage(f: NoSpaceFacts): string {
  if (f.tool && !f.variable) {
    return `Cannot ${f.action ?? "build the image"}: ${f.tool} failed: ${
      f.detail ?? "no space left on device"
    }: check free space in the storage folder and run again`;
  }
  const state = f.needed !== undefined && f.free !== undefined
    ? `no space left on device: it needs about ${humanSize(f.needed)} and ${
      humanSize(f.free)
    } are free`
    : "no space left on device (or quota exceeded)";
  const action = f.action ?? (f.path ? `write to ${f.path}` : "write");
  return `Cannot ${action}: ${state}: ${roomFix(f.variable)}`;
}

/** The message of a `NetworkError` of kind `failure`. */
export function networkMessage(
  failure: NetworkFailure,
  f: NetworkFacts & Partial<TlsFacts> & Partial<BlockedPortFacts>,
): string {
  const say = (state: string, fix: string) =>
    f.action === undefined ? state : `Cannot ${f.action}: ${state}: ${fix}`;
  if (f.proxy && failure !== "tls" && failure !== "blocked-port") {
    return proxyMessage(failure, f, say);
  }
  switch (failure) {
    case "blocked-port":
      return f.port === undefined
        ? say(`port blocked talking to ${f.host}`, BLOCKED_PORT_FIX(f.host))
        : say(
          `port ${f.port} is one web fetch refuses (the WHATWG "bad ports", e.g. 6000, 5060, 6665-6669, 10080)${
            f.why ? `, and ${f.why}` : ""
          }`,
          BLOCKED_PORT_FIX(f.host),
        );
    case "unknown-host":
      return say(`unknown host ${f.host}`, "check the registry name and your DNS/proxy settings");
    case "refused":
      return say(
        `connection to ${f.host} refused`,
        "check the host and port, and whether the registry is up (or needs --no-https)",
      );
    case "reset":
      return say(`connection to ${f.host} reset`, NETWORK_FIX);
    case "tls":
      return tlsMessage(f as TlsFacts);
    default:
      return say(`network error talking to ${f.host}`, NETWORK_FIX);
  }
}

const NETWORK_FIX = "check your connection and proxy settings, then try again";

/** A network failure on the way through a proxy: the proxy's variable and address are named. */
function proxyMessage(
  failure: NetworkFailure,
  f: NetworkFacts,
  say: (state: string, fix: string) => string,
): string {
  const { variable, address } = f.proxy!;
  const proxy = `the proxy ${address} (${variable})`;
  const direct = `or add ${f.host.replace(/:\d+$/, "")} to NO_PROXY to reach it directly`;
  switch (failure) {
    case "refused":
      return say(
        `connection to ${proxy} refused, on the way to ${f.host}`,
        `check ${variable} and whether the proxy is up, ${direct}`,
      );
    case "unknown-host":
      return say(
        `unknown host, ${f.host} or ${proxy}`,
        `check the registry name, ${variable} and your DNS settings`,
      );
    case "reset":
      return say(`connection to ${f.host} through ${proxy} reset`, `check ${variable}, ${direct}`);
    default:
      return say(
        `network error talking to ${f.host} through ${proxy}`,
        `check ${variable}, ${direct}`,
      );
  }
}

function BLOCKED_PORT_FIX(host: string): string {
  return `run the registry on another port (5000 is usual), or forward one to it (e.g. ssh -L 5000:${host} host)`;
}

/** "Cannot connect to H: its TLS certificate is not trusted (detail): set ...". */
function tlsMessage(f: TlsFacts): string {
  const what = f.certificate ? "its TLS certificate is not trusted" : "the TLS handshake failed";
  if (f.action === undefined) return `TLS failure talking to ${f.host} (${f.detail})`;
  const settings = f.settings ?? {};
  const trust =
    "set SREGISTRY_CA_FILE (or DENO_CERT) to a PEM file with the CA that signed it, or DENO_TLS_CA_STORE=system to trust the system's CAs";
  let fix = settings.caFile
    ? `check that SREGISTRY_CA_FILE (${settings.caFile}) holds the CA that signed it, or ${trust}`
    : trust;
  if (settings.httpsNoVerify) {
    fix =
      `SREGISTRY_HTTPS_NOVERIFY is set, but Deno cannot turn certificate checks off from inside a program: run with the flag --unsafely-ignore-certificate-errors=${
        hostname(f.host)
      } (deno run/compile), or ${trust}`;
  }
  if (!f.certificate) fix += "; for a plain-HTTP registry use --no-https";
  return `Cannot ${f.action}: ${what} (${f.detail}): ${fix}`;
}

/** `host` of `host:port` (IPv6 in brackets kept). */
function hostname(host: string): string {
  return host.replace(/:\d+$/, "");
}

/** The message of a request whose phase ran out of time (`RequestTimeout`). */
export function timeoutMessage(f: { action: string; reason: string; seconds: string }): string {
  return `Cannot ${f.action}: ${f.reason}: check that the registry is up and your network or proxy passes it; SREGISTRY_TIMEOUT (now ${f.seconds}) sets this bound`;
}

/** The message of a `RegistryError` of kind `answer`. */
export function registryMessage(answer: RegistryAnswer, f: RegistryFacts): string {
  const host = f.host ?? hostOf(f.url);
  const action = f.action ?? `talk to ${host}`;
  if (f.fault) return faultMessage(f.fault, host, action);
  const errors = f.errors ?? [];
  const said = errors.length
    ? errors.map((e) => (e.message ? `${e.code} (${clip(e.message)})` : e.code)).join(", ")
    : f.summary ?? "no details";
  return `Cannot ${action}: ${host} answered ${f.status} ${f.statusText ?? ""}`.trimEnd() +
    `: ${said}: ${registryAdvice(answer, f.status, f.loginHost ?? host, f.retryAfter)}`;
}

function faultMessage(fault: RegistryFault, host: string, action: string): string {
  const misconfigured =
    "the registry or a proxy in front of it is misconfigured; report it to its operator";
  const challenge =
    "the registry's WWW-Authenticate challenge is broken; report it to its operator";
  switch (fault.kind) {
    case "redirect-not-url":
      return `Cannot ${action}: ${host} redirected to a Location that is not a URL: ${misconfigured}`;
    case "redirect-scheme":
      return `Cannot ${action}: ${host} redirected to a ${fault.protocol} URL, which is not http or https: ${misconfigured}`;
    case "redirect-loop":
      return `Cannot ${action}: ${host} redirected more than ${fault.max} times in a row: ${misconfigured}`;
    case "realm-missing":
      return `Cannot authenticate to ${host}: token realm is missing: ${challenge}`;
    case "realm-not-https":
      return `Cannot authenticate to ${host}: token realm ${fault.origin} is not https: ${challenge}`;
  }
}

/** What the user should do about an answer. */
function registryAdvice(
  answer: RegistryAnswer,
  status: number,
  loginHost: string,
  retryAfter?: number,
): string {
  if (answer === "rate-limited") {
    const when = retryAfter !== undefined
      ? `retry in ${retryAfter} s (after ${new Date(Date.now() + retryAfter * 1000).toISOString()})`
      : "retry later";
    return `the registry's pull rate limit is reached: ${when}; logging in (\`sregistry login ${loginHost}\`) raises the limit`;
  }
  if (answer === "unauthorized") {
    return `run \`sregistry login ${loginHost}\` with an account that may pull it, or check the name`;
  }
  if (answer === "not-found") return "check the name and tag; `sregistry tags REF` lists tags";
  if (status >= 500) return "the registry has a problem; try again later";
  return "check the reference and the registry address";
}

/** `host[:port]` of a URL, or the text itself when it is no URL. */
function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

/**
 * Outside text made safe for a terminal: at most `n` characters (then `…`),
 * control characters (escape sequences, line breaks) written as `\xNN`.
 */
export function clip(s: string, n = 200): string {
  const cut = s.length > n ? s.slice(0, n) + "…" : s;
  return cut.replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

// deno-lint-ignore no-control-regex
const CONTROL = /[\x00-\x1f\x7f-\x9f]/g;

const DIGEST_ADVICE: Record<DigestFault, string> = {
  transfer: "the registry or a proxy served corrupt data; pull again, and report it if it persists",
  cache: "the cached copy was damaged and is removed: pull again to fetch it anew",
  config: "the image's config does not describe its layers: ask its publisher to rebuild it",
  descriptor:
    "the blob and its descriptor in the manifest disagree, so the image is broken at the registry: ask its publisher to push it again",
};

/** What to do about content that is not what its digest says, by who is to blame. */
export function digestAdvice(fault: DigestFault): string {
  return DIGEST_ADVICE[fault];
}

/** The message of a `DigestMismatchError`. */
export function digestMismatchMessage(f: DigestMismatchFacts): string {
  if (f.fault === "descriptor") {
    return `Cannot download ${f.what}: the registry sent ${f.actual}, the manifest says ${f.expected}: ${
      digestAdvice("descriptor")
    }`;
  }
  return `Cannot verify ${f.what}: expected ${f.expected}, got ${f.actual}: ${
    digestAdvice(f.fault ?? "transfer")
  }`;
}

/** The documents sregistry reads, for messages (`"the image config"`). */
export const DOCUMENT_LABELS = {
  "manifest": "manifest",
  "config": "image config",
  "docker-archive-manifest": "manifest.json of the docker archive",
  "layout-index": "index.json of the OCI layout",
  "oci-layout": "oci-layout file of the OCI layout",
  "cache-index": "index.json of the blob cache",
  "settings": "settings file",
  "docker-config": "docker config",
  "credential-helper": "answer of the credential helper",
  "lock": "lock file",
  "pin": "pin file of the blob cache",
  "token": "token server's answer for",
  "error-body": "error body from",
  "tag-list": "tag list",
} as const;

/** Which document: a key of {@linkcode DOCUMENT_LABELS}. */
export type DocumentKind = keyof typeof DOCUMENT_LABELS;

/** How many issues a message lists. */
const SHOWN_ISSUES = 3;

/**
 * The message of a `DocumentError`: the document, where it came from
 * (`origin`, already without credentials), its first issues, and `fix`, what
 * to do, which depends on who wrote the document.
 */
export function documentMessage(
  f: { kind: DocumentKind; origin: string; issues: readonly DocumentIssue[]; fix: string },
): string {
  const shown = f.issues.slice(0, SHOWN_ISSUES).map((i) =>
    i.path === "" ? i.message : `${i.path} ${i.message}`
  );
  const more = f.issues.length - shown.length;
  const what = shown.join("; ") + (more > 0 ? ` (and ${more} more)` : "");
  return `Cannot read the ${DOCUMENT_LABELS[f.kind]}${
    f.origin ? ` ${f.origin}` : ""
  }: ${what}: ${f.fix}`;
}
