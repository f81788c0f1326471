/** createHttpFetcher(): CA bundles, TLS failure messages; one real TLS server. */
import { SregistryError } from "../../src/errors.ts";
import {
  createHttpFetcher,
  isTlsError,
  readCaFile,
  tlsError,
} from "../../src/registry/http_client.ts";
import {
  assert,
  assertEquals,
  assertRejects,
  assertStringIncludes,
  assertThrows,
} from "../_assert.ts";

const PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

/** A failure shaped like Deno 2.9's fetch errors. */
function denoFailure(url: string, detail: string): TypeError {
  return new TypeError("fetch failed", {
    cause: new Error(`error sending request for url (${url}): client error (Connect): ${detail}`),
  });
}

Deno.test("readCaFile() names the variable and the fix", () => {
  const missing = assertThrows(() =>
    readCaFile("/nowhere/ca.pem", () => {
      throw new Deno.errors.NotFound("no");
    }), SregistryError);
  assertEquals(
    missing.message,
    "Cannot read SREGISTRY_CA_FILE /nowhere/ca.pem: no such file: set it to a PEM file of CA certificates",
  );
  const notPem = assertThrows(() => readCaFile("/x", () => "hello"), SregistryError);
  assertStringIncludes(notPem.message, "it holds no PEM certificate");
  assertEquals(readCaFile("/x", () => PEM), PEM);
});

Deno.test("isTlsError() recognises certificate and handshake failures, not host names", () => {
  const cases = [
    {
      name: "unknown issuer",
      e: denoFailure("https://r.example/v2/", "invalid peer certificate: UnknownIssuer"),
      want: true,
    },
    {
      name: "https to a plain server",
      e: denoFailure(
        "https://r.example/v2/",
        "received corrupt message of type InvalidContentType",
      ),
      want: true,
    },
    {
      name: "refused, host named tls",
      e: denoFailure("https://tls.example/v2/", "Connection refused (os error 111)"),
      want: false,
    },
    {
      name: "dns",
      e: new TypeError("dns error: failed to lookup address ssl.example"),
      want: false,
    },
  ];
  for (const c of cases) assertEquals(isTlsError(c.e), c.want, c.name);
});

Deno.test("tlsError() says what to set, given the settings in force", () => {
  const e = denoFailure("https://r.example:5000/v2/", "invalid peer certificate: UnknownIssuer");
  const url = "https://r.example:5000/v2/x/manifests/1";
  const cases = [
    {
      name: "nothing set",
      settings: {},
      says: "set SREGISTRY_CA_FILE (or DENO_CERT) to a PEM file with the CA that signed it",
    },
    {
      name: "CA file set",
      settings: { caFile: "/etc/ca.pem" },
      says: "check that SREGISTRY_CA_FILE (/etc/ca.pem) holds the CA that signed it",
    },
    {
      name: "no-verify",
      settings: { httpsNoVerify: true },
      says: "run with the flag --unsafely-ignore-certificate-errors=r.example",
    },
  ];
  for (const c of cases) {
    const m = tlsError(url, e, c.settings).message;
    assert(
      m.startsWith(
        "Cannot connect to r.example:5000: its TLS certificate is not trusted (invalid peer certificate: UnknownIssuer): ",
      ),
      m,
    );
    assertStringIncludes(m, c.says, c.name);
  }
  const plain = tlsError(
    url,
    denoFailure(url, "received corrupt message of type InvalidContentType"),
    {},
  );
  assertStringIncludes(plain.message, "the TLS handshake failed");
  assertStringIncludes(plain.message, "for a plain-HTTP registry use --no-https");
});

Deno.test("createHttpFetcher() gives the CA file to a Deno HTTP client used for every request, and closes it", async () => {
  const made: Deno.CreateHttpClientOptions[] = [];
  let closed = 0;
  const fake = { close: () => void closed++ } as unknown as Deno.HttpClient;
  const clients: unknown[] = [];
  const http = createHttpFetcher({ caFile: "/ca.pem" }, {
    readFile: () => PEM,
    createHttpClient: (o) => (made.push(o), fake),
    fetch: (_req, init) => (clients.push(init?.client), Promise.resolve(new Response("ok"))),
  });
  await (await http.fetch(new Request("https://r.example/v2/"))).text();
  assertEquals(made, [{ caCerts: [PEM] }]);
  assertEquals(clients, [fake]);
  http.close();
  assertEquals(closed, 1);
  using none = createHttpFetcher({}, {
    fetch: (_req, init) => (clients.push(init), Promise.resolve(new Response("ok"))),
  });
  await (await none.fetch(new Request("https://r.example/v2/"))).text();
  assertEquals(clients.at(-1), undefined);
});

const hasOpenssl = (() => {
  try {
    return new Deno.Command("openssl", { args: ["version"] }).outputSync().success;
  } catch {
    return false;
  }
})();

Deno.test({
  name:
    "createHttpFetcher() trusts SREGISTRY_CA_FILE on a real TLS server, and explains the failure without it",
  ignore: !hasOpenssl,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "sregistry-tls-" });
    const ssl = (args: string[]) => {
      const out = new Deno.Command("openssl", { args, cwd: dir, stderr: "piped" }).outputSync();
      if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
    };
    const ec = [
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-days",
      "1",
    ];
    ssl([
      "req",
      "-x509",
      ...ec,
      "-keyout",
      "ca.key",
      "-out",
      "ca.pem",
      "-subj",
      "/CN=test CA",
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "keyUsage=critical,keyCertSign",
    ]);
    ssl([
      "req",
      "-x509",
      ...ec,
      "-keyout",
      "s.key",
      "-out",
      "s.pem",
      "-subj",
      "/CN=127.0.0.1",
      "-CA",
      "ca.pem",
      "-CAkey",
      "ca.key",
      "-addext",
      "subjectAltName=IP:127.0.0.1",
      "-addext",
      "basicConstraints=CA:FALSE",
      "-addext",
      "extendedKeyUsage=serverAuth",
    ]);
    const server = Deno.serve({
      hostname: "127.0.0.1",
      port: 0,
      cert: await Deno.readTextFile(`${dir}/s.pem`),
      key: await Deno.readTextFile(`${dir}/s.key`),
      onListen: () => {},
    }, () => new Response("trusted"));
    const url = `https://127.0.0.1:${server.addr.port}/v2/`;
    try {
      using without = createHttpFetcher({});
      const e = await assertRejects(() => without.fetch(new Request(url)), SregistryError);
      assertStringIncludes(
        e.message,
        "its TLS certificate is not trusted (invalid peer certificate: UnknownIssuer)",
      );
      using withCa = createHttpFetcher({ caFile: `${dir}/ca.pem` });
      assertEquals(await (await withCa.fetch(new Request(url))).text(), "trusted");
    } finally {
      await server.shutdown();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
