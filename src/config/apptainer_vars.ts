/**
 * Apptainer's variables and their Singularity names. Apptainer's rule
 * (`cmd/internal/cli/apptainer.go`): `APPTAINER_X` wins over `SINGULARITY_X`;
 * `SINGULARITY_X` alone still works, with the note "Environment variable
 * SINGULARITY_X is set, but APPTAINER_X is preferred"; both set to different
 * values: `APPTAINER_X` is used and a warning says so. sregistry's own
 * `SREGISTRY_X`, where one exists, comes before both: it is the more specific
 * setting.
 * @module
 */

/** A value found for one Apptainer setting, and what to tell the user about it. */
export interface ApptainerValue {
  /** The value, or undefined when no variable is set. */
  value?: string;
  /** The variable it came from, e.g. `APPTAINER_CACHEDIR`. */
  source?: string;
  /** Notes for stderr (never values: they may be paths only, but stay quiet anyway). */
  notes: string[];
}

/**
 * Resolves `SREGISTRY_<own>` (when given), then `APPTAINER_<suffix>`, then
 * `SINGULARITY_<suffix>`, with Apptainer's notes.
 *
 * @param get the settings lookup (environment, then the settings file); empty counts as unset
 * @param suffix the part after the prefix, e.g. `CACHEDIR`
 * @param own sregistry's own variable that wins over both, e.g. `SREGISTRY_TMPDIR`
 * @returns the value, the variable it came from and the notes
 * @example
 * ```ts
 * import { apptainerValue } from "./apptainer_vars.ts";
 * const env: Record<string, string> = { SINGULARITY_CACHEDIR: "/scratch/c" };
 * const v = apptainerValue((n) => env[n], "CACHEDIR");
 * if (v.value !== "/scratch/c" || v.notes.length !== 1) throw new Error();
 * ```
 */
export function apptainerValue(
  get: (name: string) => string | undefined,
  suffix: string,
  own?: string,
): ApptainerValue {
  const apptainer = `APPTAINER_${suffix}`;
  const singularity = `SINGULARITY_${suffix}`;
  const a = get(apptainer);
  const s = get(singularity);
  const ownValue = own ? get(own) : undefined;
  if (own && ownValue !== undefined) {
    const shadowed = [a === undefined ? "" : apptainer, s === undefined ? "" : singularity]
      .filter((n) => n !== "" && get(n) !== ownValue);
    const notes = shadowed.length ? [`${own} is set: it wins over ${shadowed.join(" and ")}`] : [];
    return { value: ownValue, source: own, notes };
  }
  if (a !== undefined) {
    const notes = s !== undefined && s !== a
      ? [`${singularity} and ${apptainer} are both set with different values: using ${apptainer}`]
      : [];
    return { value: a, source: apptainer, notes };
  }
  if (s !== undefined) {
    return {
      value: s,
      source: singularity,
      notes: [`Environment variable ${singularity} is set, but ${apptainer} is preferred`],
    };
  }
  return { notes: [] };
}
