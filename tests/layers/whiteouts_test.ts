import { assertEquals } from "../_assert.ts";
import { type Classified, classify } from "../../src/layers/whiteouts.ts";

const cases: { name: string; input: string; want: Classified }[] = [
  { name: "plain file", input: "etc/passwd", want: { kind: "entry" } },
  { name: "whiteout at root", input: ".wh.foo", want: { kind: "whiteout", target: "foo" } },
  { name: "nested whiteout", input: "a/b/.wh.c", want: { kind: "whiteout", target: "a/b/c" } },
  { name: "opaque at root", input: ".wh..wh..opq", want: { kind: "opaque", dir: "" } },
  {
    name: "nested opaque",
    input: "var/lib/.wh..wh..opq",
    want: { kind: "opaque", dir: "var/lib" },
  },
  {
    name: "aufs metadata hides its own name",
    input: ".wh..wh.plnk",
    want: { kind: "whiteout", target: ".wh.plnk" },
  },
  {
    name: "whiteout of a dotfile",
    input: "root/.wh..bashrc",
    want: { kind: "whiteout", target: "root/.bashrc" },
  },
  { name: "prefix in a directory name", input: ".wh.dir/file", want: { kind: "entry" } },
  { name: "wh without dot", input: "a/wh.x", want: { kind: "entry" } },
  {
    name: "opaque-like suffix",
    input: "a/.wh..wh..opqx",
    want: { kind: "whiteout", target: "a/.wh..opqx" },
  },
];

for (const c of cases) {
  Deno.test(`classify() ${c.name}`, () => assertEquals(classify(c.input), c.want));
}

for (const input of [".wh.", "a/.wh.", "a/.wh..", ".wh.."]) {
  Deno.test(`classify() refuses ${JSON.stringify(input)} that names nothing or a parent`, () => {
    assertEquals(classify(input).kind, "invalid");
  });
}
