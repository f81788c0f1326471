/** A temporary folder removed at the end of the scope: `using dir = tempDir()`. */
export function tempDir(prefix = "sregistry-config-"): { path: string } & Disposable {
  const path = Deno.makeTempDirSync({ prefix });
  return {
    path,
    [Symbol.dispose]() {
      Deno.removeSync(path, { recursive: true });
    },
  };
}
