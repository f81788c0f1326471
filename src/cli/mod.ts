/**
 * The command line: `main(args)` returns the exit code; `program` is the
 * commander tree (help, completion and the man page read it).
 * @module
 */
export { main, program, usageHint } from "./main.ts";
