/**
 * The OCI runscript Apptainer writes for a docker source
 * (`conveyorPacker_oci.go`, `ociRunscript` template), rendered without Go
 * templates. Package-private; see `runscript()` in `metadata.ts`.
 * @module
 */

/** Apptainer's `shell.Escape`: backslash, double quote, backtick and `$` escaped. */
export function shellEscape(text: string): string {
  return text.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("`", "\\`")
    .replaceAll("$", "\\$");
}

/** Apptainer's `shell.EscapeSingleQuotes`: `'` becomes `'"'"'`. */
export function escapeSingleQuotes(text: string): string {
  return text.replaceAll("'", `'"'"'`);
}

function argsQuoted(args: string[]): string {
  return args.map((arg) => `"${shellEscape(arg)}"`).join(" ");
}

function prepend(args: string[]): string {
  return args.toReversed().map((arg) => `set -- '${escapeSingleQuotes(arg)}' "$@"\n`).join("");
}

function noEvalEntrypointAndCmd(prependCmd: string, prependEp: string): string {
  if (prependEp) {
    return `
    if [ $# -gt 0 ]; then
        ${prependEp}
\telse
        ${prependCmd}
        ${prependEp}
    fi`;
  }
  if (prependCmd) {
    return `
    if [ $# -eq 0 ]; then
        ${prependCmd}
    fi`;
  }
  return "";
}

function noEvalCmdOnly(prependCmd: string): string {
  if (!prependCmd) return "";
  return `
        if [ $# -eq 0 ]; then
            ${prependCmd}
        fi`;
}

/** The full runscript text for an ENTRYPOINT and CMD. */
export function renderRunscript(entrypoint: string[], cmd: string[]): string {
  const prependCmd = prepend(cmd);
  const prependEp = prepend(entrypoint);
  return `#!/bin/sh
OCI_ENTRYPOINT='${escapeSingleQuotes(argsQuoted(entrypoint))}'
OCI_CMD='${escapeSingleQuotes(argsQuoted(cmd))}'

# When SINGULARITY_NO_EVAL set, use OCI compatible behavior that does
# not evaluate resolved CMD / ENTRYPOINT / ARGS through the shell, and
# does not modify expected quoting behavior of args.
if [ -n "$SINGULARITY_NO_EVAL" ]; then
    # ENTRYPOINT only - run entrypoint plus args
    if [ -z "$OCI_CMD" ] && [ -n "$OCI_ENTRYPOINT" ]; then
        ${prependEp}
        exec "$@"
    fi

    # CMD only - run CMD or override with args
    if [ -n "$OCI_CMD" ] && [ -z "$OCI_ENTRYPOINT" ]; then${noEvalCmdOnly(prependCmd)}
        exec "$@"
    fi

    # ENTRYPOINT and CMD - run ENTRYPOINT with CMD as default args
    # override with user provided args${noEvalEntrypointAndCmd(prependCmd, prependEp)}
    exec "$@"
fi

# Standard Apptainer behavior evaluates CMD / ENTRYPOINT / ARGS
# combination through shell before exec, and requires special quoting
# due to concatenation of CMDLINE_ARGS.
CMDLINE_ARGS=""
# prepare command line arguments for evaluation
for arg in "$@"; do
        CMDLINE_ARGS="\${CMDLINE_ARGS} \\"$arg\\""
done

# ENTRYPOINT only - run entrypoint plus args
if [ -z "$OCI_CMD" ] && [ -n "$OCI_ENTRYPOINT" ]; then
    if [ $# -gt 0 ]; then
        SINGULARITY_OCI_RUN="\${OCI_ENTRYPOINT} \${CMDLINE_ARGS}"
    else
        SINGULARITY_OCI_RUN="\${OCI_ENTRYPOINT}"
    fi
fi

# CMD only - run CMD or override with args
if [ -n "$OCI_CMD" ] && [ -z "$OCI_ENTRYPOINT" ]; then
    if [ $# -gt 0 ]; then
        SINGULARITY_OCI_RUN="\${CMDLINE_ARGS}"
    else
        SINGULARITY_OCI_RUN="\${OCI_CMD}"
    fi
fi

# ENTRYPOINT and CMD - run ENTRYPOINT with CMD as default args
# override with user provided args
if [ $# -gt 0 ]; then
    SINGULARITY_OCI_RUN="\${OCI_ENTRYPOINT} \${CMDLINE_ARGS}"
else
    SINGULARITY_OCI_RUN="\${OCI_ENTRYPOINT} \${OCI_CMD}"
fi

# Evaluate shell expressions first and set arguments accordingly,
# then execute final command as first container process
eval "set \${SINGULARITY_OCI_RUN}"
exec "$@"
`;
}
