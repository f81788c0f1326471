/**
 * Docker credential helpers (`docker-credential-<name> get`): the server URL
 * on stdin, `{"ServerURL","Username","Secret"}` on stdout.
 * @module
 */
import { parseDocument } from "../document.ts";
import { SregistryError } from "../errors.ts";
import type { Credential } from "./_docker_config.ts";
import { HelperAnswerSchema } from "./_schemas.ts";

/**
 * Runs `docker-credential-<helper> get` with `serverUrl` on stdin and returns
 * its stdout; `""` when the helper has no credentials for that server.
 * Rejects with `Deno.errors.NotFound` when the helper is not installed.
 */
export type RunHelper = (helper: string, serverUrl: string) => Promise<string>;

/** The helper protocol's "nothing stored" answer. */
const NOT_FOUND = /credentials not found/i;

/** Runs a real helper program found on `PATH`. */
export async function runHelperProgram(helper: string, serverUrl: string): Promise<string> {
  const program = `docker-credential-${helper}`;
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(program, {
      args: ["get"],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (e) {
    if (!(e instanceof Deno.errors.NotCapable)) throw e;
    throw new SregistryError(
      `Cannot run ${program} for the credentials of ${serverUrl}: this run may not start it: add it to --allow-run (e.g. --allow-run=...,${program}), or use the compiled sregistry`,
    );
  }
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(serverUrl));
  await writer.close();
  const { code, stdout, stderr } = await child.output();
  const out = new TextDecoder().decode(stdout);
  if (code === 0) return out;
  if (NOT_FOUND.test(out) || NOT_FOUND.test(new TextDecoder().decode(stderr))) return "";
  // The output is not shown: a misbehaving helper may print secrets.
  throw new SregistryError(
    `Cannot get credentials for ${serverUrl} from ${program}: it exited with code ${code}: run "echo ${serverUrl} | ${program} get" to see why`,
  );
}

/** Parses a helper's answer; `Username` `<token>` means an identity token. */
export function parseHelperOutput(
  output: string,
  helper: string,
  serverUrl: string,
): Credential | undefined {
  if (output.trim() === "") return undefined;
  const json = parseDocument(output, HelperAnswerSchema, {
    kind: "credential-helper",
    origin: `docker-credential-${helper} for ${serverUrl}`,
    fix: "check the helper's version",
  });
  const username = json.Username ?? "";
  const secret = json.Secret ?? "";
  if (secret === "") return undefined;
  if (username === "<token>") return { identityToken: secret };
  return { username, password: secret };
}
