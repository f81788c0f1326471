/**
 * The real registry for tests: the CNCF distribution registry (Debian package
 * `docker-registry`) started on a free 127.0.0.1 port with storage in a temp
 * dir, its request log captured in memory, killed by `stop()`. Images are pushed with the
 * registry's own upload API.
 * @module
 */
import { type Blob, buildImage, type BuiltImage } from "./_images.ts";

/** A running test registry. */
export interface TestRegistry {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** `127.0.0.1:<port>`, the domain to use in references. */
  host: string;
  /** The temp dir holding storage, config and log. */
  dir: string;
  /** Requests the registry has served so far, oldest first. */
  requests(): Promise<{ method: string; path: string; status: number }[]>;
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Options for `startRegistry`. */
export interface RegistryOptions {
  /** An htpasswd file's content (bcrypt), turning on basic auth. */
  htpasswd?: string;
  /** Run as a pull-through cache of this remote URL. */
  proxyRemote?: string;
  /** Serve https with this certificate and key (PEM file paths); `url` is then https. */
  tls?: { certificate: string; key: string };
  /** Listen on this port (default: a free one), e.g. one web fetch refuses. */
  port?: number;
}

/** The registry binary, or undefined with the reason when it is missing. */
export function registryBinary(): string | undefined {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    try {
      Deno.statSync(`${dir}/docker-registry`);
      return `${dir}/docker-registry`;
    } catch { /* next */ }
  }
  return undefined;
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** Starts a registry and waits until `/v2/` answers. */
export async function startRegistry(options: RegistryOptions = {}): Promise<TestRegistry> {
  const binary = registryBinary();
  if (!binary) throw new Error("docker-registry is not installed: apt-get install docker-registry");
  const dir = await Deno.makeTempDir({ prefix: "sregistry-test-registry-" });
  const port = options.port ?? freePort();
  const auth = options.htpasswd
    ? `auth:\n  htpasswd:\n    realm: test-realm\n    path: ${dir}/htpasswd\n`
    : "";
  if (options.htpasswd) await Deno.writeTextFile(`${dir}/htpasswd`, options.htpasswd);
  const tls = options.tls
    ? `  tls:\n    certificate: ${options.tls.certificate}\n    key: ${options.tls.key}\n`
    : "";
  const proxy = options.proxyRemote ? `proxy:\n  remoteurl: ${options.proxyRemote}\n` : "";
  await Deno.writeTextFile(
    `${dir}/config.yml`,
    `version: 0.1
log:
  level: info
  formatter: json
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: ${dir}/storage
  delete:
    enabled: true
http:
  addr: 127.0.0.1:${port}
${tls}${auth}${proxy}`,
  );
  const child = new Deno.Command(binary, {
    args: ["serve", `${dir}/config.yml`],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
    env: { OTEL_TRACES_EXPORTER: "none" },
  }).spawn();
  let logText = "";
  const logDone = child.stderr.pipeThrough(new TextDecoderStream()).pipeTo(
    new WritableStream({ write: (chunk) => void (logText += chunk) }),
  );
  const url = `${options.tls ? "https" : "http"}://127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      if (options.tls || options.port) {
        // No CA here; fetch refuses some ports.
        (await Deno.connect({ hostname: "127.0.0.1", port })).close();
        break;
      }
      const res = await fetch(`${url}/v2/`);
      await res.body?.cancel();
      break;
    } catch (e) {
      if (Date.now() > deadline) {
        child.kill("SIGKILL");
        throw new Error(`registry did not start: ${e}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
    await child.status;
    await logDone.catch(() => {});
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  return {
    url,
    host: `127.0.0.1:${port}`,
    dir,
    async requests() {
      // The registry logs a request just after answering it.
      await new Promise((r) => setTimeout(r, 150));
      const text = logText;
      const out: { method: string; path: string; status: number }[] = [];
      for (const line of text.split("\n")) {
        if (!line.startsWith("{")) continue;
        try {
          const rec = JSON.parse(line);
          if (rec.msg !== "response completed" && rec.msg !== "response completed with error") {
            continue;
          }
          out.push({
            method: rec["http.request.method"],
            path: rec["http.request.uri"],
            status: rec["http.response.status"],
          });
        } catch { /* not a log record */ }
      }
      return out;
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

/** Headers for pushes to a registry with basic auth. */
export type PushAuth = { username: string; password: string } | undefined;

function authHeaders(auth: PushAuth): Record<string, string> {
  return auth ? { Authorization: "Basic " + btoa(`${auth.username}:${auth.password}`) } : {};
}

/** Uploads a blob with a monolithic POST + PUT. */
export async function pushBlob(
  reg: { url: string },
  repo: string,
  b: Blob,
  auth?: PushAuth,
): Promise<void> {
  const start = await fetch(`${reg.url}/v2/${repo}/blobs/uploads/`, {
    method: "POST",
    headers: authHeaders(auth),
  });
  await start.body?.cancel();
  if (start.status !== 202) throw new Error(`blob upload start: ${start.status}`);
  const location = new URL(start.headers.get("location")!, reg.url);
  location.searchParams.set("digest", b.digest);
  const put = await fetch(location, {
    method: "PUT",
    headers: { ...authHeaders(auth), "Content-Type": "application/octet-stream" },
    body: b.bytes as BodyInit,
  });
  await put.body?.cancel();
  if (put.status !== 201) throw new Error(`blob upload ${b.digest}: ${put.status}`);
}

/** Uploads a manifest (or index) under a tag or its digest. */
export async function pushManifest(
  reg: { url: string },
  repo: string,
  reference: string,
  m: Blob,
  auth?: PushAuth,
): Promise<void> {
  const res = await fetch(`${reg.url}/v2/${repo}/manifests/${reference}`, {
    method: "PUT",
    headers: { ...authHeaders(auth), "Content-Type": m.mediaType },
    body: m.bytes as BodyInit,
  });
  const text = await res.text();
  if (res.status !== 201) {
    throw new Error(`manifest push ${repo}:${reference}: ${res.status} ${text}`);
  }
}

/** Pushes every blob of an image, then its manifest under `tag`. */
export async function pushImage(
  reg: { url: string },
  repo: string,
  tag: string,
  image: BuiltImage,
  auth?: PushAuth,
): Promise<void> {
  for (const b of [image.config, ...image.layers]) await pushBlob(reg, repo, b, auth);
  await pushManifest(reg, repo, tag, image.manifest, auth);
}

/** Pushes `repo:tag`, a one-layer image holding the file `a` ("a\n"); returns its reference. */
export async function pushSmallImage(
  reg: { url: string; host: string },
  repo: string,
  tag = "v1",
): Promise<string> {
  await pushImage(
    reg,
    repo,
    tag,
    await buildImage({ layers: [{ entries: [{ name: "a", content: "a\n" }] }] }),
  );
  return `${reg.host}/${repo}:${tag}`;
}
