import { parseChallenges, pickChallenge, splitScopes } from "../../src/registry/_challenge.ts";
import { assertEquals } from "../_assert.ts";

const FIXTURES = new URL("../../../shared/fixtures/registry/", import.meta.url);
const TSV = new URL("www-authenticate-cases.tsv", FIXTURES);
const haveTsv = (() => {
  try {
    Deno.statSync(TSV);
    return true;
  } catch {
    return false;
  }
})();

const CASES: { name: string; header: string; scheme: string; params: Record<string, string> }[] = [
  {
    name: "distribution vector with escapes and bare tokens",
    header:
      'Bearer realm="https://auth.example.com/token",service="registry.example.com",other=fun,slashed="he\\"\\l\\lo"',
    scheme: "bearer",
    params: {
      realm: "https://auth.example.com/token",
      service: "registry.example.com",
      other: "fun",
      slashed: 'he"llo',
    },
  },
  {
    name: "any order, spaces, upper-case keys",
    header: 'BEARER  Scope="repository:a/b:pull" , Service=svc,  REALM="https://x/t"',
    scheme: "bearer",
    params: { scope: "repository:a/b:pull", service: "svc", realm: "https://x/t" },
  },
  {
    name: "unquoted realm",
    header: "Bearer realm=https://x/token,service=svc",
    scheme: "bearer",
    params: { realm: "https://x/token", service: "svc" },
  },
  {
    name: "comma inside quotes",
    header: 'Bearer realm="https://x/t",scope="repository:a:pull,push"',
    scheme: "bearer",
    params: { realm: "https://x/t", scope: "repository:a:pull,push" },
  },
  {
    name: "basic",
    header: 'Basic realm="test-realm"',
    scheme: "basic",
    params: { realm: "test-realm" },
  },
];

for (const c of CASES) {
  Deno.test(`parseChallenges() parses ${c.name}`, () => {
    const [got] = parseChallenges(c.header);
    assertEquals(got, { scheme: c.scheme, params: c.params });
  });
}

Deno.test("parseChallenges() reads several challenges in one header", () => {
  const all = parseChallenges('Basic realm="r", Bearer realm="https://t",service="s"');
  assertEquals(all.map((c) => c.scheme), ["basic", "bearer"]);
  assertEquals(all[1].params, { realm: "https://t", service: "s" });
});

Deno.test("pickChallenge() prefers Bearer and tolerates junk", () => {
  assertEquals(pickChallenge('Basic realm="r", Bearer realm="https://t"')?.scheme, "bearer");
  assertEquals(pickChallenge(null), undefined);
  assertEquals(pickChallenge(""), undefined);
  assertEquals(pickChallenge("Negotiate"), undefined);
  assertEquals(pickChallenge('Bearer realm="unterminated')?.params.realm, "unterminated");
});

Deno.test("splitScopes() splits on spaces", () => {
  assertEquals(splitScopes("repository:a:pull  repository:b:pull"), [
    "repository:a:pull",
    "repository:b:pull",
  ]);
  assertEquals(splitScopes(undefined), []);
});

Deno.test({
  name: "parseChallenges() matches every row of www-authenticate-cases.tsv",
  ignore: !haveTsv,
  fn() {
    const [, ...rows] = Deno.readTextFileSync(TSV).split("\n").filter((l) => l.trim());
    assertEquals(rows.length > 0, true);
    for (const row of rows) {
      const [header, scheme, realm, service, scope, other] = row.split("\t");
      const [c] = parseChallenges(header);
      const want: Record<string, string> = { realm, service };
      if (scope) want.scope = scope;
      for (const kv of (other ?? "").split("; ").filter(Boolean)) {
        const i = kv.indexOf("=");
        want[kv.slice(0, i)] = kv.slice(i + 1);
      }
      assertEquals(c, { scheme, params: want }, header);
    }
  },
});
