/**
 * The tar reader (ustar, PAX, GNU long names, GNU sparse files in every form)
 * and the one entry header it gives, {@link TarHeader}; `tarEntries` reads a
 * stream entry by entry.
 * @module
 */
export {
  parsePax,
  TarFormatError,
  type TarHeader,
  TarHolesError,
  TarReader,
  type TarReaderOptions,
  TarTruncatedError,
  type TarType,
  type TarVisitor,
} from "./reader.ts";
export {
  type BodyChunk,
  isSourceError,
  type SourceEntry,
  tarEntries,
  TooLargeError,
} from "./entries.ts";
