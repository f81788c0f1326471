/**
 * `inspect --summary`: a short human view of one catalogue record, pure.
 * The fields follow the OCI image config (`config.Entrypoint`, `Cmd`, `Env`,
 * `Labels`, `WorkingDir`, `User`; image-spec config.md).
 * @module
 */
import type { ImageRecord } from "../store/record.ts";
import { humanSize } from "../size.ts";
import { referenceName } from "./images_table.ts";

interface OciConfig {
  os?: string;
  architecture?: string;
  variant?: string;
  created?: string;
  config?: {
    Entrypoint?: string[] | null;
    Cmd?: string[] | null;
    Env?: string[] | null;
    Labels?: Record<string, string> | null;
    WorkingDir?: string;
    User?: string;
  };
}

/**
 * `text` with control characters (C0, DEL, C1) shown as `\xNN`: the values
 * come from the image, and a label such as `"x\u001b]0;title\u0007"` or a
 * newline must not reach the terminal as such.
 */
export function visible(text: string): string {
  return text.replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

// deno-lint-ignore no-control-regex
const CONTROL = /[\x00-\x1f\x7f-\x9f]/g;

/** A JSON-style command line (`["sh", "-c", "x"]`), or `(none)`. */
function command(args: string[] | null | undefined): string {
  return args && args.length > 0 ? visible(JSON.stringify(args)) : "(none)";
}

/** `label` padded, then the first value; further values on their own lines, aligned. */
function field(label: string, values: string[]): string[] {
  const pad = " ".repeat(12);
  const [first, ...rest] = values.length > 0 ? values : ["(none)"];
  return [`${(label + ":").padEnd(12)}${visible(first)}`, ...rest.map((v) => pad + visible(v))];
}

/**
 * The summary lines: reference, ID, digest, platform, size (of the file now,
 * "missing" when it is gone), path, created, entrypoint, cmd, working dir,
 * user, env, labels.
 *
 * @param r the record (its `config` is the image's OCI config JSON, when known).
 * @param fileSize the size of the SIF file now in bytes, undefined when it is gone.
 */
export function inspectSummary(r: ImageRecord, fileSize: number | undefined): string[] {
  const config = (r.config ?? {}) as OciConfig;
  const c = config.config ?? {};
  const platform = r.platform ??
    ([config.os, config.architecture, config.variant].filter(Boolean).join("/") || "unknown");
  const size = fileSize === undefined
    ? `missing (the file ${r.image ?? "(none)"} is gone)`
    : humanSize(fileSize);
  const labels = Object.entries(c.Labels ?? {}).map(([k, v]) => `${k}=${v}`);
  return [
    ...field("Reference", [referenceName(r)]),
    ...field("ID", [String(r.id)]),
    ...field("Digest", [r.version ?? "(none)"]),
    ...field("Platform", [platform]),
    ...field("Size", [size]),
    ...field("Path", [r.image ?? r.url ?? "(none)"]),
    ...field("Created", [config.created ?? r.createdAt]),
    ...field("Entrypoint", [command(c.Entrypoint)]),
    ...field("Cmd", [command(c.Cmd)]),
    ...(c.WorkingDir ? field("WorkingDir", [c.WorkingDir]) : []),
    ...(c.User ? field("User", [c.User]) : []),
    ...field("Env", c.Env ?? []),
    ...field("Labels", labels),
  ];
}
