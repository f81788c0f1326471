// deno-lint-ignore-file no-console
/**
 * Checks, before the test suite runs, that the programs the tests use as real
 * components are installed, and says in one line what is missing.
 * Run by `deno task test`; `.ci/run` installs the packages first.
 * @module
 */

/** Program → Debian package providing it. */
const NEEDED: Record<string, string> = {
  "docker-registry": "docker-registry",
  mksquashfs: "squashfs-tools",
  sqfs2tar: "squashfs-tools-ng",
  unsquashfs: "squashfs-tools",
  siftool: "siftool",
  umoci: "umoci",
  skopeo: "skopeo",
  busybox: "busybox-static",
  bwrap: "bubblewrap",
  zstd: "zstd",
  htpasswd: "apache2-utils",
};

function onPath(program: string): boolean {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    try {
      if (Deno.statSync(`${dir}/${program}`).isFile) return true;
    } catch { /* next */ }
  }
  return false;
}

const missing = [
  ...new Set(Object.entries(NEEDED).filter(([p]) => !onPath(p)).map(([, pkg]) => pkg)),
];
if (missing.length > 0) {
  console.error(
    `Cannot run the tests: missing programs; install them with: sudo apt-get install -y ${
      missing.join(" ")
    } (or run .ci/run, which does)`,
  );
  Deno.exit(1);
}
