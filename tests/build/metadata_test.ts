import { assertEquals, assertStringIncludes } from "../_assert.ts";
import {
  buildLabels,
  definitionFile,
  envScript,
  labelSchemaDate,
  labelsJson,
  ociConfigJson,
  runscript,
  singularityMetadata,
} from "../../src/build/metadata.ts";
import { busyboxRootfs, inRootfs } from "./_rootfs.ts";

Deno.test("envScript() writes Apptainer's lines for PATH, values and bare names", () => {
  assertEquals(
    envScript(["PATH=/usr/local/bin:/usr/bin", "LANG=C.UTF-8", "X", "1BAD=x", "A-B=y"]),
    '#!/bin/sh\nexport PATH="/usr/local/bin:/usr/bin"\nexport LANG="${LANG:-"C.UTF-8"}"\n' +
      'export X="${X:-}"\n',
  );
  assertEquals(envScript(undefined), "#!/bin/sh\n");
});

const TRICKY: Record<string, string> = {
  QUOTES: `say "hi" and 'bye'`,
  DOLLAR: "$HOME ${PATH} $(id) $$",
  BACKTICK: "`uname -a`",
  BACKSLASH: "C:\\dir\\n \\\\ end\\",
  SPACES: "  lead and trail  ",
  NEWLINE: "line1\nline2\n",
  BRACE: "a}b{c}",
  EMPTY: "",
  EQUALS: "k=v=w",
  UNICODE: "héllo ✓ \t tab",
};

async function sourceAndPrint(script: string, names: string[], env: Record<string, string>) {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/env.sh`, script);
    const printf = `printf '%s\\0' ${names.map((n) => `"$${n}"`).join(" ")}`;
    const out = await new Deno.Command("/usr/bin/busybox", {
      args: ["sh", "-c", `. ./env.sh && ${printf}`],
      cwd: dir,
      env,
      clearEnv: true,
      stdout: "piped",
    }).output();
    assertEquals(out.code, 0);
    return new TextDecoder().decode(out.stdout).split("\0").slice(0, names.length);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("envScript() reproduces every value byte for byte under busybox sh", async () => {
  const names = Object.keys(TRICKY);
  const script = envScript([...names.map((n) => `${n}=${TRICKY[n]}`), "PATH=/x:$y`z`"]);
  const got = await sourceAndPrint(script, [...names, "PATH"], {});
  assertEquals(got, [...names.map((n) => TRICKY[n]), "/x:$y`z`"]);
});

Deno.test("envScript() keeps preset values except PATH", async () => {
  const script = envScript(["KEEP=image", "BARE", "PATH=/image/bin", "NEW=image"]);
  const got = await sourceAndPrint(script, ["KEEP", "BARE", "PATH", "NEW"], {
    KEEP: "preset",
    BARE: "preset bare",
    PATH: "/host/bin",
  });
  assertEquals(got, ["preset", "preset bare", "/image/bin", "image"]);
});

Deno.test("runscript() writes OCI_ENTRYPOINT and OCI_CMD as Apptainer does", () => {
  const text = runscript({
    Entrypoint: ["/docker-entrypoint.sh"],
    Cmd: ["nginx", "-g", "daemon off;"],
  });
  assertEquals(
    text.split("\n").slice(0, 3),
    [
      "#!/bin/sh",
      `OCI_ENTRYPOINT='"/docker-entrypoint.sh"'`,
      `OCI_CMD='"nginx" "-g" "daemon off;"'`,
    ],
  );
  assertEquals(runscript({ Cmd: ["it's"] }).split("\n")[2], `OCI_CMD='"it'"'"'s"'`);
  assertEquals(runscript({}).split("\n").slice(1, 3), ["OCI_ENTRYPOINT=''", "OCI_CMD=''"]);
  assertStringIncludes(
    runscript({ Entrypoint: ["e"], Cmd: ["c"] }, { cmdOnly: true }),
    "OCI_ENTRYPOINT=''",
  );
});

Deno.test("definitionFile() is the bootstrap header Apptainer synthesises", () => {
  assertEquals(definitionFile("alpine:3.19"), "bootstrap: docker\nfrom: alpine:3.19\n\n");
});

Deno.test("labelsJson() is tab-indented with sorted keys and Go escaping", () => {
  assertEquals(
    labelsJson({ z: "1", "a<b>": "x&y" }, { m: "2", z: "build" }),
    '{\n\t"a\\u003cb\\u003e": "x\\u0026y",\n\t"m": "2",\n\t"z": "build"\n}',
  );
  assertEquals(labelsJson(null, {}), "{}");
});

Deno.test("buildLabels() names arch, dates and the base image", () => {
  const labels = buildLabels({
    arch: "arm64",
    variant: "v8",
    created: "2024-03-04T05:06:07Z",
    baseName: "docker.io/library/alpine:3.19",
    baseDigest: "sha256:abc",
  });
  assertEquals(labels["org.label-schema.build-date"], "Monday_4_March_2024_05:6:7_UTC");
  assertEquals(labels["org.label-schema.build-arch"], "arm64");
  assertEquals(labels["org.opencontainers.image.variant"], "v8");
  assertEquals(labels["org.opencontainers.image.base.digest"], "sha256:abc");
  assertEquals(
    labelSchemaDate(new Date("2024-12-25T23:00:00Z")),
    "Wednesday_25_December_2024_23:0:0_UTC",
  );
});

Deno.test("ociConfigJson() marshals the config section like Go's ImageConfig", () => {
  const config = {
    architecture: "amd64",
    config: {
      Cmd: ["sh"],
      Env: ["A=<1>"],
      ExposedPorts: { "80/tcp": {} },
      Labels: {},
      WorkingDir: "",
      Healthcheck: { Test: ["NONE"] },
      User: "1000",
    },
  };
  assertEquals(
    ociConfigJson(config),
    '{"User":"1000","ExposedPorts":{"80/tcp":{}},"Env":["A=\\u003c1\\u003e"],"Cmd":["sh"]}',
  );
  assertEquals(ociConfigJson({}), "{}");
});

async function imageWith(config: Record<string, unknown>, cmdOnly = false): Promise<string> {
  return await busyboxRootfs(
    singularityMetadata({
      config,
      from: "example:1",
      arch: "amd64",
      created: "2024-01-01T00:00:00Z",
      baseDigest: "sha256:0",
      cmdOnly,
    }),
  );
}

const RUN_CASES: {
  name: string;
  config: Record<string, unknown>;
  args: string[];
  env?: Record<string, string>;
  want: string;
  cmdOnly?: boolean;
}[] = [
  {
    name: "ENTRYPOINT + CMD",
    config: { Entrypoint: ["/bin/printf", "[%s]"], Cmd: ["a b", `"q" $HOME \`x\``] },
    args: [],
    want: `[a b]["q" $HOME \`x\`]`,
  },
  {
    name: "user arguments replace CMD",
    config: { Entrypoint: ["/bin/printf", "[%s]"], Cmd: ["default"] },
    args: ["one", "two words"],
    want: "[one][two words]",
  },
  {
    name: "single quotes survive",
    config: { Entrypoint: ["/bin/echo", "it's"], Cmd: ["'x'"] },
    args: [],
    want: "it's 'x'\n",
  },
  { name: "CMD only", config: { Cmd: ["/bin/printf", "<%s>", "c"] }, args: [], want: "<c>" },
  {
    name: "CMD only, replaced",
    config: { Cmd: ["/bin/printf", "<%s>", "c"] },
    args: ["/bin/echo", "mine"],
    want: "mine\n",
  },
  {
    name: "SINGULARITY_NO_EVAL keeps arguments verbatim",
    config: { Entrypoint: ["/bin/printf", "[%s]"], Cmd: ["c"] },
    args: ["$HOME"],
    env: { SINGULARITY_NO_EVAL: "1" },
    want: "[$HOME]",
  },
  {
    name: "SREGISTRY_DOCKER_CMD runs CMD and ignores ENTRYPOINT",
    config: { Entrypoint: ["/bin/false"], Cmd: ["/bin/echo", "cmd"] },
    args: [],
    want: "cmd\n",
    cmdOnly: true,
  },
  {
    name: "the run action sources the image environment",
    config: { Env: ["GREETING=hello $world"], Cmd: ["/bin/sh", "-c", 'echo "$GREETING"'] },
    args: [],
    want: "hello $world\n",
  },
];

for (const c of RUN_CASES) {
  Deno.test(`runscript() in a bwrap'd busybox rootfs: ${c.name}`, async () => {
    const root = await imageWith(c.config, c.cmdOnly);
    try {
      const entry = c.name.startsWith("the run action") ? "/.run" : "/.singularity.d/runscript";
      const got = await inRootfs(root, [entry, ...c.args], c.env);
      assertEquals({ code: got.code, stdout: got.stdout }, { code: 0, stdout: c.want }, got.stderr);
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  });
}

Deno.test("singularityMetadata() lists the Apptainer layout", () => {
  const files = singularityMetadata({
    config: { Labels: { a: "b" } },
    from: "alpine:3",
    arch: "amd64",
    created: "2024-01-01T00:00:00Z",
    baseDigest: "sha256:0",
  });
  const paths = files.map((f) => `${f.type} ${f.path}`);
  for (
    const want of [
      "dir /.singularity.d/libs",
      "dir /var/tmp",
      "symlink /singularity",
      "symlink /environment",
      "file /etc/resolv.conf",
      "file /.singularity.d/actions/shell",
      "file /.singularity.d/env/10-docker2singularity.sh",
      "file /.singularity.d/env/99-runtimevars.sh",
      "file /.singularity.d/startscript",
      "file /.singularity.d/Singularity",
    ]
  ) assertEquals(paths.includes(want), true, want);
  const labels = files.find((f) => f.path.endsWith("labels.json"))!;
  assertEquals(JSON.parse(labels.content!).a, "b");
  assertEquals(labels.mode, 0o644);
});
