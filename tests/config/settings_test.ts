import { assert, assertEquals, assertThrows } from "../_assert.ts";
import { UsageError } from "../../src/errors.ts";
import { loadSettings, settingsMarkdown, settingsTable } from "../../src/config/settings.ts";
import type { Settings } from "../../src/config/settings.ts";

const HOME = "/home/me";
const file = (data: Record<string, unknown>) => ({ path: "/home/me/.sregistry", data });

Deno.test("loadSettings() defaults follow the original, under $HOME", () => {
  const s = loadSettings({ HOME });
  assertEquals(s.client, "docker");
  assertEquals(s.databaseDir, "/home/me/.singularity");
  assertEquals(s.storageDir, "/home/me/.singularity/shub");
  assertEquals(s.cacheDir, "/home/me/.singularity");
  assertEquals(s.tmpDir, "/tmp");
  assertEquals(s.secretsPath, "/home/me/.sregistry");
  assertEquals(s.catalogueDisabled, false);
  assertEquals(s.layerCacheDisabled, false);
  assertEquals(s.jobs, 4);
  assertEquals(s.retries, 3);
  assertEquals(s.timeoutS, 30);
  assertEquals(s.maxLayerBytes, 32 * 2 ** 30);
  assertEquals(s.processors, undefined);
  assertEquals(s.offline, false);
  assertEquals(s.httpsNoVerify, false);
  assertEquals(s.caFile, undefined);
  assertEquals(s.dockerhub, {
    base: "index.docker.io",
    version: "v2",
    noHttps: false,
    mirrors: [],
  });
  assertEquals(s.dockerCmd, false);
  assertEquals(s.nvidia, { base: "nvcr.io", username: "$oauthtoken" });
  assertEquals(loadSettings({ HOME, TMPDIR: "/scratch" }).tmpDir, "/scratch");
  assertEquals(
    loadSettings({ HOME, SREGISTRY_CLIENT_SECRETS: "~/conf/sr.json" }).secretsPath,
    "/home/me/conf/sr.json",
  );
});

/** One row per variable: its value from env or file, and what Settings shows. */
const precedence: {
  name: string;
  env: string;
  file: string;
  pick: (s: Settings) => unknown;
  fromEnv: unknown;
  fromFile: unknown;
  byDefault: unknown;
}[] = [
  {
    name: "SREGISTRY_DATABASE",
    env: "/e",
    file: "/f",
    pick: (s) => s.databaseDir,
    fromEnv: "/e",
    fromFile: "/f",
    byDefault: "/home/me/.singularity",
  },
  {
    name: "SREGISTRY_STORAGE",
    env: "/e",
    file: "/f",
    pick: (s) => s.storageDir,
    fromEnv: "/e",
    fromFile: "/f",
    byDefault: "/home/me/.singularity/shub",
  },
  {
    name: "SREGISTRY_TMPDIR",
    env: "/e",
    file: "/f",
    pick: (s) => s.tmpDir,
    fromEnv: "/e",
    fromFile: "/f",
    byDefault: "/tmp",
  },
  {
    name: "SREGISTRY_DISABLE",
    env: "yes",
    file: "true",
    pick: (s) => s.catalogueDisabled,
    fromEnv: true,
    fromFile: true,
    byDefault: false,
  },
  {
    name: "SINGULARITY_DISABLE_CACHE",
    env: "1",
    file: "y",
    pick: (s) => [s.catalogueDisabled, s.layerCacheDisabled],
    fromEnv: [true, true],
    fromFile: [true, true],
    byDefault: [false, false],
  },
  {
    name: "SINGULARITY_CACHEDIR",
    env: "/e",
    file: "~/f",
    pick: (s) => s.cacheDir,
    fromEnv: "/e",
    fromFile: "/home/me/f",
    byDefault: "/home/me/.singularity",
  },
  {
    name: "APPTAINER_DISABLE_CACHE",
    env: "true",
    file: "yes",
    pick: (s) => [s.catalogueDisabled, s.layerCacheDisabled],
    fromEnv: [true, true],
    fromFile: [true, true],
    byDefault: [false, false],
  },
  {
    name: "APPTAINER_CACHEDIR",
    env: "/e",
    file: "~/f",
    pick: (s) => s.cacheDir,
    fromEnv: "/e",
    fromFile: "/home/me/f",
    byDefault: "/home/me/.singularity",
  },
  {
    name: "APPTAINER_TMPDIR",
    env: "/e",
    file: "/f",
    pick: (s) => [s.tmpDir, s.explicitTmpDir],
    fromEnv: ["/e", "/e"],
    fromFile: ["/f", "/f"],
    byDefault: ["/tmp", undefined],
  },
  {
    name: "SINGULARITY_TMPDIR",
    env: "/e",
    file: "/f",
    pick: (s) => s.tmpDir,
    fromEnv: "/e",
    fromFile: "/f",
    byDefault: "/tmp",
  },
  {
    name: "SREGISTRY_PYTHON_THREADS",
    env: "2",
    file: "9",
    pick: (s) => s.jobs,
    fromEnv: 2,
    fromFile: 9,
    byDefault: 4,
  },
  {
    name: "SREGISTRY_RETRIES",
    env: "0",
    file: "5",
    pick: (s) => s.retries,
    fromEnv: 0,
    fromFile: 5,
    byDefault: 3,
  },
  {
    name: "SREGISTRY_TIMEOUT",
    env: "2.5",
    file: "60",
    pick: (s) => s.timeoutS,
    fromEnv: 2.5,
    fromFile: 60,
    byDefault: 30,
  },
  {
    name: "SREGISTRY_MAX_LAYER_SIZE",
    env: "512M",
    file: "1GiB",
    pick: (s) => s.maxLayerBytes,
    fromEnv: 512 * 2 ** 20,
    fromFile: 2 ** 30,
    byDefault: 32 * 2 ** 30,
  },
  {
    name: "SREGISTRY_PROCESSORS",
    env: "2",
    file: "8",
    pick: (s) => s.processors,
    fromEnv: 2,
    fromFile: 8,
    byDefault: undefined,
  },
  {
    name: "SREGISTRY_COMPRESSION",
    env: " ZSTD",
    file: "lz4",
    pick: (s) => s.compression,
    fromEnv: "zstd",
    fromFile: "lz4",
    byDefault: "gzip",
  },
  {
    name: "SREGISTRY_OFFLINE",
    env: "t",
    file: "yes",
    pick: (s) => s.offline,
    fromEnv: true,
    fromFile: true,
    byDefault: false,
  },
  {
    name: "SREGISTRY_HTTPS_NOVERIFY",
    env: "TRUE",
    file: "yes",
    pick: (s) => s.httpsNoVerify,
    fromEnv: true,
    fromFile: true,
    byDefault: false,
  },
  {
    name: "SREGISTRY_CA_FILE",
    env: "/e.pem",
    file: "/f.pem",
    pick: (s) => s.caFile,
    fromEnv: "/e.pem",
    fromFile: "/f.pem",
    byDefault: undefined,
  },
  {
    name: "SREGISTRY_DOCKERHUB_BASE",
    env: "e.io",
    file: "f.io",
    pick: (s) => s.dockerhub.base,
    fromEnv: "e.io",
    fromFile: "f.io",
    byDefault: "index.docker.io",
  },
  {
    name: "SREGISTRY_DOCKERHUB_VERSION",
    env: "v9",
    file: "v8",
    pick: (s) => s.dockerhub.version,
    fromEnv: "v9",
    fromFile: "v8",
    byDefault: "v2",
  },
  {
    name: "SREGISTRY_DOCKERHUB_NOHTTPS",
    env: "yes",
    file: "1",
    pick: (s) => s.dockerhub.noHttps,
    fromEnv: true,
    fromFile: true,
    byDefault: false,
  },
  {
    name: "SREGISTRY_DOCKERHUB_MIRROR",
    env: "a.io, http://b:5000 ,",
    file: "f.io",
    pick: (s) => s.dockerhub.mirrors,
    fromEnv: ["a.io", "http://b:5000"],
    fromFile: ["f.io"],
    byDefault: [],
  },
  {
    name: "SREGISTRY_DOCKERHUB_SECRETS",
    env: "/e.json",
    file: "/f.json",
    pick: (s) => s.dockerhub.secretsPath,
    fromEnv: "/e.json",
    fromFile: "/f.json",
    byDefault: undefined,
  },
  {
    name: "SREGISTRY_DOCKER_CMD",
    env: "yes",
    file: "y",
    pick: (s) => s.dockerCmd,
    fromEnv: true,
    fromFile: true,
    byDefault: false,
  },
  {
    name: "SREGISTRY_NVIDIA_BASE",
    env: "e.io",
    file: "f.io",
    pick: (s) => s.nvidia.base,
    fromEnv: "e.io",
    fromFile: "f.io",
    byDefault: "nvcr.io",
  },
  {
    name: "SREGISTRY_NVIDIA_USERNAME",
    env: "eu",
    file: "fu",
    pick: (s) => s.nvidia.username,
    fromEnv: "eu",
    fromFile: "fu",
    byDefault: "$oauthtoken",
  },
  {
    name: "SREGISTRY_NVIDIA_TOKEN",
    env: "et",
    file: "ft",
    pick: (s) => s.nvidia.token,
    fromEnv: "et",
    fromFile: "ft",
    byDefault: undefined,
  },
];

Deno.test("loadSettings() takes each variable from env, then secrets[client], then the default", () => {
  for (const row of precedence) {
    const inFile = file({ docker: { [row.name]: row.file } });
    assertEquals(
      row.pick(loadSettings({ HOME, [row.name]: row.env }, inFile)),
      row.fromEnv,
      `${row.name} from env`,
    );
    assertEquals(row.pick(loadSettings({ HOME }, inFile)), row.fromFile, `${row.name} from file`);
    assertEquals(
      row.pick(loadSettings({ HOME, [row.name]: "" }, file({}))),
      row.byDefault,
      `${row.name} default`,
    );
  }
});

Deno.test("loadSettings() reads the active client's entry, then the variable's own backend entry", () => {
  const data = {
    SREGISTRY_CLIENT: "nvidia",
    nvidia: { SREGISTRY_DATABASE: "/nv", SREGISTRY_NVIDIA_TOKEN: "t" },
    docker: { SREGISTRY_DATABASE: "/dk", SREGISTRY_DOCKER_CMD: "yes", SREGISTRY_NVIDIA_TOKEN: "x" },
  };
  const s = loadSettings({ HOME }, file(data));
  assertEquals(s.client, "nvidia");
  assertEquals(s.databaseDir, "/nv", "global variables come from the active client's entry");
  assertEquals(s.nvidia.token, "t");
  assertEquals(s.dockerCmd, true, "SREGISTRY_DOCKER_* is found in the docker entry");
  assertEquals(loadSettings({ HOME, SREGISTRY_CLIENT: "docker" }, file(data)).databaseDir, "/dk");
});

Deno.test("loadSettings() picks the client from env, then the file, then docker", () => {
  assertEquals(
    loadSettings({ HOME, SREGISTRY_CLIENT: "NVIDIA" }, file({ SREGISTRY_CLIENT: "docker" })).client,
    "nvidia",
  );
  assertEquals(loadSettings({ HOME }, file({ SREGISTRY_CLIENT: "nvidia" })).client, "nvidia");
  assertEquals(loadSettings({ HOME }, file({})).client, "docker");
});

Deno.test("loadSettings() takes the first complete username/password pair", () => {
  const cases: [Record<string, string>, Record<string, unknown>, unknown][] = [
    [
      {
        SINGULARITY_DOCKER_USERNAME: "s",
        SINGULARITY_DOCKER_PASSWORD: "sp",
        SREGISTRY_DOCKERHUB_USERNAME: "r",
        SREGISTRY_DOCKERHUB_PASSWORD: "rp",
      },
      {},
      ["r", "rp", "SREGISTRY_DOCKERHUB_*"],
    ],
    [
      {
        SINGULARITY_DOCKER_USERNAME: "s",
        SINGULARITY_DOCKER_PASSWORD: "sp",
        SREGISTRY_DOCKERHUB_USERNAME: "r",
      },
      {},
      ["s", "sp", "SINGULARITY_DOCKER_*"],
    ],
    [{ APPTAINER_DOCKER_USERNAME: "a", APPTAINER_DOCKER_PASSWORD: "ap" }, {}, [
      "a",
      "ap",
      "APPTAINER_DOCKER_*",
    ]],
    [{ SREGISTRY_DOCKERHUB_USERNAME: "r" }, { docker: { SREGISTRY_DOCKERHUB_PASSWORD: "filep" } }, [
      "r",
      "filep",
      "SREGISTRY_DOCKERHUB_*",
    ]],
    [{ SREGISTRY_DOCKERHUB_USERNAME: "r" }, {}, [undefined, undefined, undefined]],
  ];
  for (const [env, data, expected] of cases) {
    const d = loadSettings({ HOME, ...env }, file(data)).dockerhub;
    assertEquals([d.username, d.password, d.credentialSource], expected, JSON.stringify(env));
  }
});

Deno.test("loadSettings() rejects bad numbers and unknown words naming the variable", () => {
  const cases: [string, string][] = [
    ["SREGISTRY_PYTHON_THREADS", "0"],
    ["SREGISTRY_PYTHON_THREADS", "lots"],
    ["SREGISTRY_PYTHON_THREADS", "65"],
    ["SREGISTRY_RETRIES", "-1"],
    ["SREGISTRY_TIMEOUT", "0"],
    ["SREGISTRY_MAX_LAYER_SIZE", "10 parsecs"],
    ["SREGISTRY_MAX_LAYER_SIZE", "0"],
    ["SREGISTRY_PROCESSORS", "1.5"],
    ["SREGISTRY_COMPRESSION", "bzip2"],
  ];
  for (const [name, value] of cases) {
    assertThrows(() => loadSettings({ HOME, [name]: value }), UsageError, `${name}="${value}"`);
  }
});

Deno.test("loadSettings() never writes to the settings file", () => {
  const data = { nvidia: {} };
  loadSettings({ HOME, SREGISTRY_NVIDIA_TOKEN: "secret", SREGISTRY_CLIENT: "nvidia" }, file(data));
  assertEquals(data, { nvidia: {} });
});

Deno.test("settingsTable() documents exactly the variables loadSettings() reads", () => {
  const read = new Set<string>();
  const env = new Proxy({ HOME } as Record<string, string | undefined>, {
    get(target, name) {
      if (typeof name === "string") read.add(name);
      return target[name as string];
    },
  });
  loadSettings(env);
  for (const notSettings of ["HOME", "TMPDIR"]) read.delete(notSettings);
  // The one variable the CLI reads itself: the batch log's heartbeat (src/cli/progress.ts).
  read.add("SREGISTRY_PROGRESS_INTERVAL");
  const documented = new Set(settingsTable().map((r) => r.name));
  assertEquals([...read].filter((n) => !documented.has(n)), [], "read but not documented");
  assertEquals([...documented].filter((n) => !read.has(n)), [], "documented but not read");
  for (const row of settingsTable()) assert(row.meaning.length > 0 && row.default.length > 0);
  assert(settingsMarkdown().includes("| `SREGISTRY_NVIDIA_USERNAME` | `$oauthtoken` |"));
});

Deno.test("loadSettings() follows Apptainer: SREGISTRY_ over APPTAINER_ over SINGULARITY_, with notes", () => {
  const cases: {
    name: string;
    env: Record<string, string>;
    pick: (s: Settings) => unknown;
    want: unknown;
    notes: string[];
  }[] = [
    {
      name: "APPTAINER_CACHEDIR moves the layer cache out of the home folder",
      env: { APPTAINER_CACHEDIR: "/scratch/me/cache" },
      pick: (s) => s.cacheDir,
      want: "/scratch/me/cache",
      notes: [],
    },
    {
      name: "APPTAINER_ wins over SINGULARITY_ and says so when they differ",
      env: { APPTAINER_CACHEDIR: "/a", SINGULARITY_CACHEDIR: "/s" },
      pick: (s) => s.cacheDir,
      want: "/a",
      notes: [
        "SINGULARITY_CACHEDIR and APPTAINER_CACHEDIR are both set with different values: using APPTAINER_CACHEDIR",
      ],
    },
    {
      name: "the same value under both names is not worth a note",
      env: { APPTAINER_CACHEDIR: "/a", SINGULARITY_CACHEDIR: "/a" },
      pick: (s) => s.cacheDir,
      want: "/a",
      notes: [],
    },
    {
      name: "SINGULARITY_ alone works, with Apptainer's note",
      env: { SINGULARITY_TMPDIR: "/s" },
      pick: (s) => [s.tmpDir, s.explicitTmpDir],
      want: ["/s", "/s"],
      notes: ["Environment variable SINGULARITY_TMPDIR is set, but APPTAINER_TMPDIR is preferred"],
    },
    {
      name: "SREGISTRY_TMPDIR wins over both",
      env: { SREGISTRY_TMPDIR: "/r", APPTAINER_TMPDIR: "/a", TMPDIR: "/t" },
      pick: (s) => s.tmpDir,
      want: "/r",
      notes: ["SREGISTRY_TMPDIR is set: it wins over APPTAINER_TMPDIR"],
    },
    {
      name: "APPTAINER_TMPDIR wins over TMPDIR",
      env: { APPTAINER_TMPDIR: "/a", TMPDIR: "/t" },
      pick: (s) => s.tmpDir,
      want: "/a",
      notes: [],
    },
    {
      name: "APPTAINER_DISABLE_CACHE=false wins over SINGULARITY_DISABLE_CACHE=true",
      env: { APPTAINER_DISABLE_CACHE: "false", SINGULARITY_DISABLE_CACHE: "true" },
      pick: (s) => [s.catalogueDisabled, s.layerCacheDisabled],
      want: [false, false],
      notes: [
        "SINGULARITY_DISABLE_CACHE and APPTAINER_DISABLE_CACHE are both set with different values: using APPTAINER_DISABLE_CACHE",
      ],
    },
  ];
  for (const c of cases) {
    const s = loadSettings({ HOME, ...c.env });
    assertEquals(c.pick(s), c.want, c.name);
    assertEquals(s.notes, c.notes, c.name);
  }
});
