/**
 * The native squashfs 4.0 writer: {@link SquashfsWriter} stores file contents
 * as they arrive and writes the tables of an image tree at the end.
 * @module
 */

export { DEFAULT_WRITER_LEVELS, MAX_WORKERS, SquashfsWriter } from "./writer.ts";
export type { FileSink, SquashfsWriterOptions } from "./writer.ts";
export { fileSink } from "./sink.ts";
export type { OutputSink } from "./sink.ts";
export { SquashfsLimitError } from "./errors.ts";
