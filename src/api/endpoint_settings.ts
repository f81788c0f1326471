/**
 * Registry addresses read from settings (`SREGISTRY_DOCKERHUB_BASE`,
 * `SREGISTRY_DOCKERHUB_MIRROR`) that do not parse: when the value is stored
 * in the settings file, the message says so and names the `backend` command
 * that fixes it, as for the numeric settings (`loadSettings`).
 * @module
 */
import { nonEmpty, secretsFilePath } from "../config/paths.ts";
import { readSecrets } from "../config/secrets_file.ts";
import { SregistryError, UsageError } from "../errors.ts";

/** The backend entry of the settings file holding `variable`; `docker` when none is found. */
function holder(path: string, variable: string): string {
  try {
    const data = readSecrets(path).data;
    const found = Object.entries(data).find(([, entry]) =>
      typeof entry === "object" && entry !== null && variable in entry
    );
    return found?.[0] ?? "docker";
  } catch {
    return "docker";
  }
}

/**
 * Runs `parse` (which reads `variable`'s value); a refusal of a value stored
 * in the settings file (not set in `env`) becomes a failure naming the file
 * and the fix.
 *
 * @param env the environment the settings came from
 * @param variable e.g. `SREGISTRY_DOCKERHUB_MIRROR`
 * @param parse reads the setting's value
 * @returns what `parse` returns
 * @throws {SregistryError} for a bad value stored in the settings file;
 *   {UsageError} as `parse` throws it for one set in the environment
 */
export function endpointSetting<T>(
  env: Record<string, string | undefined>,
  variable: string,
  parse: () => T,
): T {
  try {
    return parse();
  } catch (e) {
    if (!(e instanceof UsageError) || nonEmpty(env[variable]) !== undefined) throw e;
    const path = secretsFilePath(env);
    const backend = holder(path, variable);
    throw new SregistryError(
      `${
        e.message.replace(/: fix the variable$/, "")
      }: it is stored in the settings file ${path} (backend "${backend}"): run "sregistry backend remove ${backend} ${variable}", or "sregistry backend add --force ${backend} ${variable} VALUE"`,
      { cause: e },
    );
  }
}
