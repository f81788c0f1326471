import {
  familiarReference,
  formatReference,
  parseReference,
  pullScope,
  registryEndpoint,
} from "../src/reference.ts";
import { ReferenceSyntaxError } from "../src/reference.ts";
import { assert, assertEquals, assertThrows } from "./_assert.ts";

const D = "sha256:" + "a".repeat(64);

/** Valid inputs and their normalised form (distribution/reference normalize_test.go rows). */
const VALID: { name: string; input: string; want: string }[] = [
  { name: "bare official", input: "ubuntu", want: "docker.io/library/ubuntu:latest" },
  { name: "official with tag", input: "ubuntu:22.04", want: "docker.io/library/ubuntu:22.04" },
  { name: "hub user repo", input: "user/app", want: "docker.io/user/app:latest" },
  { name: "explicit docker.io", input: "docker.io/foo", want: "docker.io/library/foo:latest" },
  {
    name: "index.docker.io folds",
    input: "index.docker.io/library/foo:bar",
    want: "docker.io/library/foo:bar",
  },
  {
    name: "registry-1.docker.io is NOT folded",
    input: "registry-1.docker.io/foo",
    want: "registry-1.docker.io/foo:latest",
  },
  {
    name: "multi-component hub path untouched",
    input: "library/foo/bar",
    want: "docker.io/library/foo/bar:latest",
  },
  { name: "localhost domain", input: "localhost/foo", want: "localhost/foo:latest" },
  { name: "localhost:port", input: "localhost:5000/a/b:t", want: "localhost:5000/a/b:t" },
  {
    name: "bare localhost is a hub repo",
    input: "localhost",
    want: "docker.io/library/localhost:latest",
  },
  {
    name: "bare host:port is repo:tag on hub",
    input: "localhost:5000",
    want: "docker.io/library/localhost:5000",
  },
  { name: "bare dotted name", input: "example.com", want: "docker.io/library/example.com:latest" },
  { name: "dotted domain", input: "ghcr.io/o/r:v1", want: "ghcr.io/o/r:v1" },
  { name: "ip:port", input: "192.168.1.1:5000/foo", want: "192.168.1.1:5000/foo:latest" },
  { name: "ipv6 with port", input: "[::1]:5000/foo", want: "[::1]:5000/foo:latest" },
  { name: "upper-case domain component", input: "Docker/foo", want: "Docker/foo:latest" },
  {
    name: "upper-case domain LOCALDOMAIN",
    input: "LOCALDOMAIN/foo",
    want: "LOCALDOMAIN/foo:latest",
  },
  { name: "tag keeps case", input: "foo:Uppercase", want: "docker.io/library/foo:Uppercase" },
  { name: "digest only: no latest", input: `foo@${D}`, want: `docker.io/library/foo@${D}` },
  { name: "tag and digest kept", input: `foo:v1@${D}`, want: `docker.io/library/foo:v1@${D}` },
  { name: "separators", input: "a__b-c---d/e_f.g", want: "docker.io/a__b-c---d/e_f.g:latest" },
  {
    name: "128-char tag",
    input: `foo:${"t".repeat(128)}`,
    want: `docker.io/library/foo:${"t".repeat(128)}`,
  },
  {
    name: "sha256:<hex> is repo sha256 with tag",
    input: "sha256:" + "b".repeat(64),
    want: "docker.io/library/sha256:" + "b".repeat(64),
  },
  {
    name: "docker.io/<64hex> ok",
    input: "docker.io/" + "c".repeat(64),
    want: "docker.io/library/" + "c".repeat(64) + ":latest",
  },
  {
    name: "docker:// prefix",
    input: "docker://busybox:1.36",
    want: "docker.io/library/busybox:1.36",
  },
  {
    name: "nvidia:// prefix",
    input: "nvidia://nvidia/cuda:12.0",
    want: "nvcr.io/nvidia/cuda:12.0",
  },
  {
    name: "nvidia:// with nvcr.io",
    input: "nvidia://nvcr.io/nvidia/cuda",
    want: "nvcr.io/nvidia/cuda:latest",
  },
  {
    name: "path of 255",
    input: `ghcr.io/${"a".repeat(255)}`,
    want: `ghcr.io/${"a".repeat(255)}:latest`,
  },
];

const INVALID: { name: string; input: string; includes: string }[] = [
  { name: "empty", input: "", includes: "at least one component" },
  { name: "upper-case repo", input: "Uppercase:tag", includes: "must be lowercase" },
  {
    name: "upper-case path after domain",
    input: "docker.io/Foo/bar",
    includes: "must be lowercase",
  },
  { name: "64-hex identifier", input: "a".repeat(64), includes: "64-byte hexadecimal" },
  { name: "tag too long", input: `foo:${"t".repeat(129)}`, includes: "invalid reference format" },
  { name: "tag starting with dot", input: "foo:.x", includes: "invalid reference format" },
  { name: "tag starting with dash", input: "foo:-x", includes: "invalid reference format" },
  { name: "path over 255", input: `ghcr.io/${"a".repeat(256)}`, includes: "longer than 255" },
  { name: "double slash", input: "foo//bar", includes: "invalid reference format" },
  { name: "trailing slash", input: "foo/", includes: "invalid reference format" },
  { name: "leading separator", input: "-foo", includes: "invalid reference format" },
  { name: "underscore in a domain", input: "a_b.c/d", includes: "not a valid registry host" },
  { name: "triple underscore", input: "a___b", includes: "invalid reference format" },
  { name: "space", input: "foo bar", includes: "invalid reference format" },
  { name: "path traversal", input: "ghcr.io/../etc", includes: "invalid reference format" },
  { name: "short digest", input: "foo@sha256:abc", includes: "invalid reference format" },
  {
    name: "digest length",
    input: "foo@sha256:" + "a".repeat(63) + "aa",
    includes: "digest length",
  },
  {
    name: "upper-case digest hex",
    input: "foo@sha256:" + "A".repeat(64),
    includes: "digest format",
  },
  {
    name: "unsupported algorithm",
    input: "foo@md5:" + "a".repeat(32),
    includes: "unsupported digest",
  },
  { name: "ipv6 zone", input: "[fe80::1%eth0]:5000/foo", includes: "invalid reference format" },
  { name: "empty tag", input: "foo:", includes: "invalid reference format" },
];

for (const c of VALID) {
  Deno.test(`parseReference() accepts ${c.name}`, () => {
    assertEquals(formatReference(parseReference(c.input)), c.want);
  });
}

for (const c of INVALID) {
  Deno.test(`parseReference() rejects ${c.name}`, () => {
    const e = assertThrows(() => parseReference(c.input), ReferenceSyntaxError, c.includes);
    assert(e instanceof SyntaxError);
    assert(e.message.startsWith("Cannot parse image reference"), e.message);
  });
}

Deno.test("parseReference() returns a frozen object with only the set fields", () => {
  const r = parseReference(`ghcr.io/o/r@${D}`);
  assert(Object.isFrozen(r));
  assertEquals({ ...r }, { domain: "ghcr.io", path: "o/r", digest: D });
});

Deno.test("parseReference() splits domain and path", () => {
  assertEquals({ ...parseReference("localhost:5000/a/b:t") }, {
    domain: "localhost:5000",
    path: "a/b",
    tag: "t",
  });
});

Deno.test("familiarReference() drops docker.io and library/", () => {
  assertEquals(familiarReference(parseReference("ubuntu:22.04")), "ubuntu:22.04");
  assertEquals(familiarReference(parseReference("library/foo/bar")), "library/foo/bar:latest");
  assertEquals(familiarReference(parseReference("user/app")), "user/app:latest");
  assertEquals(familiarReference(parseReference("ghcr.io/o/r")), "ghcr.io/o/r:latest");
});

Deno.test("registryEndpoint() maps docker.io to registry-1.docker.io only", () => {
  assertEquals(registryEndpoint("docker.io"), "registry-1.docker.io");
  assertEquals(registryEndpoint("ghcr.io"), "ghcr.io");
  assertEquals(registryEndpoint("localhost:5000"), "localhost:5000");
});

Deno.test("pullScope() names the repository path", () => {
  assertEquals(pullScope(parseReference("ubuntu")), "repository:library/ubuntu:pull");
  assertEquals(pullScope(parseReference("localhost:5000/a/b")), "repository:a/b:pull");
});
