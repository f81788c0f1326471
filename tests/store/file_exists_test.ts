import { assertEquals } from "../_assert.ts";
import { exists, isMissing } from "../../src/store/file_exists.ts";

Deno.test("exists() and isMissing() differ only for a path whose stat is refused", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const file = `${dir}/image.sif`;
    Deno.writeTextFileSync(file, "x");
    const cases = [
      { name: "present", path: file, exists: true, missing: false },
      { name: "gone", path: `${dir}/gone.sif`, exists: false, missing: true },
      // A file where a folder should be: ENOTDIR, not NotFound, so not known to be gone.
      { name: "refused", path: `${file}/inner`, exists: false, missing: false },
    ];
    for (const c of cases) {
      assertEquals([exists(c.path), isMissing(c.path)], [c.exists, c.missing], c.name);
    }
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
