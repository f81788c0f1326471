/**
 * The machine set-ups the benchmark pulls under (#12): all tools installed,
 * only `mksquashfs` (what most RHEL-family login nodes have), and no squashfs
 * tool at all. A set-up is a PATH: a folder of symbolic links to every program
 * on this process's PATH except the ones the set-up leaves out.
 * @module
 */

/** Programs that build or read squashfs images, or build SIFs. */
const SQUASHFS_TOOLS = [
  "mksquashfs",
  "unsquashfs",
  "tar2sqfs",
  "sqfs2tar",
  "gensquashfs",
  "rdsquashfs",
  "apptainer",
  "singularity",
];

/** One set-up: its name and the PATH that gives it. */
export interface Setup {
  name: string;
  path: string;
}

/**
 * The three set-ups, their PATH folders made under `root`: "all tools" is this
 * process's PATH; "only mksquashfs" and "no squashfs tool" leave out the
 * others. Throws when `mksquashfs` is not installed.
 */
export function makeSetups(root: string): Setup[] {
  const path = Deno.env.get("PATH") ?? "/usr/bin:/bin";
  const only = shadowPath(`${root}/path-mksquashfs`, path, SQUASHFS_TOOLS.slice(1));
  const none = shadowPath(`${root}/path-none`, path, SQUASHFS_TOOLS);
  return [
    { name: "all tools", path },
    { name: "only mksquashfs", path: only },
    { name: "no squashfs tool", path: none },
  ];
}

/** A folder of links to the programs of `path`, first one of each name wins, minus `without`. */
function shadowPath(dir: string, path: string, without: string[]): string {
  Deno.mkdirSync(dir, { recursive: true });
  const seen = new Set(without);
  for (const folder of path.split(":")) {
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(folder)];
    } catch {
      continue;
    }
    for (const e of entries) {
      if (seen.has(e.name)) continue;
      seen.add(e.name);
      Deno.symlinkSync(`${folder}/${e.name}`, `${dir}/${e.name}`);
    }
  }
  return dir;
}
