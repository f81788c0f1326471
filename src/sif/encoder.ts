/**
 * A pure encoder of the Singularity Image Format (SIF, spec version "01") as
 * written by sylabs/sif v2: global header, descriptor table and object
 * placement. It computes bytes and offsets only; `writer.ts` does the I/O.
 *
 * Layout: 128-byte header at 0, 48 descriptors of 585 bytes at 4096, objects
 * from 32176 on, each rounded up to its alignment (partitions: 4096).
 * @module
 */

/** SIF data object types (int32 in each descriptor). */
export const SIF_DATA = {
  DEFFILE: 0x4001,
  ENVVAR: 0x4002,
  LABELS: 0x4003,
  PARTITION: 0x4004,
  SIGNATURE: 0x4005,
  GENERIC_JSON: 0x4006,
  GENERIC: 0x4007,
} as const;

/** Partition filesystem types (`extra` offset 0). */
export const SIF_FS = { SQUASHFS: 1, EXT3: 2, IMMUOBJ: 3, RAW: 4, ENCRYPTED_SQUASHFS: 5 } as const;

/** Partition types (`extra` offset 4). PRIMSYS is the root filesystem runtimes mount. */
export const SIF_PART = { SYSTEM: 1, PRIMSYS: 2, DATA: 3, OVERLAY: 4 } as const;

/** One data object to place in a SIF. */
export interface SifObject {
  /** One of {@link SIF_DATA}. */
  type: number;
  /** Object name, at most 128 bytes of UTF-8 (e.g. `oci-config.json`). */
  name?: string;
  /** Length of the object's bytes. */
  size: number;
  /** Alignment of the object's offset; partitions default to 4096, others to none. */
  alignment?: number;
  /** Group the object belongs to (default 1); 0 means no group. */
  groupId?: number;
  /** Linked object ID, 0 or absent for none. */
  linkId?: number;
  /** Partition metadata, required when `type` is `SIF_DATA.PARTITION`. */
  partition?: { fsType: number; partType: number; arch: string };
}

/** The bytes before the first object and where each object goes. */
export interface SifLayout {
  /** Header + zero gap + descriptor table: exactly `dataOffset` bytes. */
  head: Uint8Array;
  /** Per object: absolute offset and the zero padding to write before it. */
  objects: { offset: number; padding: number }[];
  /** Total file length. */
  fileSize: number;
}

/** Options of {@link layoutSif}. */
export interface SifOptions {
  /** First header line, < 32 bytes; default `#!/usr/bin/env run-singularity\n`. */
  launchScript?: string;
  /** 16 raw bytes; default a random v4 UUID (nil when deterministic). */
  uuid?: Uint8Array;
  /** Unix seconds; default now (Go zero time when deterministic). */
  createdAt?: number;
  /** Unix seconds; default `createdAt`. */
  modifiedAt?: number;
  /** Nil UUID and Go zero time, as in the sylabs test images and Apptainer with SOURCE_DATE_EPOCH. */
  deterministic?: boolean;
}

/** Default launch script written by sylabs/sif v2 and Apptainer. */
export const DEFAULT_LAUNCH_SCRIPT = "#!/usr/bin/env run-singularity\n";
/** Go's zero `time.Time` in Unix seconds, the timestamp of deterministic images. */
export const GO_ZERO_TIME = -62135596800;

const DESCRIPTORS_OFFSET = 4096;
const DESCRIPTORS_TOTAL = 48;
const DESCRIPTOR_SIZE = 585;
const DATA_OFFSET = DESCRIPTORS_OFFSET + DESCRIPTORS_TOTAL * DESCRIPTOR_SIZE;
const GROUP_MASK = 0xf0000000;

const ARCH_CODES: Record<string, string> = {
  "386": "01",
  amd64: "02",
  arm: "03",
  arm64: "04",
  ppc64: "05",
  ppc64le: "06",
  mips: "07",
  mipsle: "08",
  mips64: "09",
  mips64le: "10",
  s390x: "11",
  riscv64: "12",
  loong64: "13",
};

/** The two-digit SIF architecture code of a GOARCH name ("amd64" -> "02"); "00" when unknown. */
export function sifArchCode(goarch: string): string {
  return ARCH_CODES[goarch] ?? "00";
}

/**
 * Computes the header, descriptor table and object offsets of a SIF holding
 * `objects` in order. Pure: the caller writes `head`, then for each object
 * `padding` zero bytes followed by its `size` bytes.
 */
export function layoutSif(objects: SifObject[], options: SifOptions = {}): SifLayout {
  if (objects.length > DESCRIPTORS_TOTAL) {
    throw new RangeError(`A SIF holds at most ${DESCRIPTORS_TOTAL} objects, got ${objects.length}`);
  }
  const times = resolveTimes(options);
  const head = new Uint8Array(DATA_OFFSET);
  const view = new DataView(head.buffer);
  let end = DATA_OFFSET;
  let primaryArch = "00";
  const placed = objects.map((object, index) => {
    validateObject(object);
    const offset = alignUp(end, object.alignment ?? defaultAlignment(object));
    const padding = offset - end;
    end = offset + object.size;
    const at = DESCRIPTORS_OFFSET + index * DESCRIPTOR_SIZE;
    writeDescriptor(head, view, at, index + 1, object, { offset, padding }, times);
    if (object.partition?.partType === SIF_PART.PRIMSYS) {
      if (primaryArch !== "00") throw new RangeError("A SIF holds at most one primary partition");
      primaryArch = sifArchCode(object.partition.arch);
    }
    return { offset, padding };
  });
  writeHeader(head, view, {
    launchScript: options.launchScript ?? DEFAULT_LAUNCH_SCRIPT,
    arch: primaryArch,
    uuid: times.uuid,
    createdAt: times.createdAt,
    modifiedAt: times.modifiedAt,
    used: objects.length,
    dataSize: end - DATA_OFFSET,
  });
  return { head, objects: placed, fileSize: end };
}

interface Times {
  uuid: Uint8Array;
  createdAt: number;
  modifiedAt: number;
}

function resolveTimes(options: SifOptions): Times {
  const now = Math.floor(Date.now() / 1000);
  const createdAt = options.createdAt ?? (options.deterministic ? GO_ZERO_TIME : now);
  const uuid = options.uuid ?? (options.deterministic ? new Uint8Array(16) : randomUuid());
  if (uuid.length !== 16) throw new RangeError(`A SIF UUID has 16 bytes, got ${uuid.length}`);
  return { uuid, createdAt, modifiedAt: options.modifiedAt ?? createdAt };
}

function randomUuid(): Uint8Array {
  const hex = crypto.randomUUID().replaceAll("-", "");
  return Uint8Array.from(hex.match(/../g)!, (byte) => parseInt(byte, 16));
}

function defaultAlignment(object: SifObject): number {
  return object.type === SIF_DATA.PARTITION ? 4096 : 0;
}

function alignUp(value: number, alignment: number): number {
  if (alignment <= 1) return value;
  return Math.ceil(value / alignment) * alignment;
}

function validateObject(object: SifObject): void {
  if (!Number.isSafeInteger(object.size) || object.size < 0) {
    throw new RangeError(`A SIF object size must be a non-negative integer, got ${object.size}`);
  }
  if (object.type === SIF_DATA.PARTITION && !object.partition) {
    throw new TypeError("A SIF partition object needs its partition metadata");
  }
  const alignment = object.alignment ?? 0;
  if (!Number.isSafeInteger(alignment) || alignment < 0) {
    throw new RangeError(`A SIF object alignment must be a non-negative integer, got ${alignment}`);
  }
}

function writeDescriptor(
  head: Uint8Array,
  view: DataView,
  at: number,
  id: number,
  object: SifObject,
  place: { offset: number; padding: number },
  times: Times,
): void {
  view.setInt32(at, object.type, true);
  head[at + 4] = 1;
  view.setUint32(at + 5, id, true);
  view.setUint32(at + 9, (GROUP_MASK | (object.groupId ?? 1)) >>> 0, true);
  view.setUint32(at + 13, object.linkId ?? 0, true);
  view.setBigInt64(at + 17, BigInt(place.offset), true);
  view.setBigInt64(at + 25, BigInt(object.size), true);
  view.setBigInt64(at + 33, BigInt(place.padding + object.size), true);
  view.setBigInt64(at + 41, BigInt(times.createdAt), true);
  view.setBigInt64(at + 49, BigInt(times.modifiedAt), true);
  putString(head, at + 73, 128, object.name ?? "", "object name");
  if (object.partition) {
    const extra = at + 201;
    view.setInt32(extra, object.partition.fsType, true);
    view.setInt32(extra + 4, object.partition.partType, true);
    putString(head, extra + 8, 3, sifArchCode(object.partition.arch), "arch");
  }
}

function writeHeader(
  head: Uint8Array,
  view: DataView,
  fields: {
    launchScript: string;
    arch: string;
    uuid: Uint8Array;
    createdAt: number;
    modifiedAt: number;
    used: number;
    dataSize: number;
  },
): void {
  putString(head, 0, 31, fields.launchScript, "launch script");
  putString(head, 32, 10, "SIF_MAGIC", "magic");
  putString(head, 42, 3, "01", "version");
  putString(head, 45, 3, fields.arch, "arch");
  head.set(fields.uuid, 48);
  view.setBigInt64(64, BigInt(fields.createdAt), true);
  view.setBigInt64(72, BigInt(fields.modifiedAt), true);
  view.setBigInt64(80, BigInt(DESCRIPTORS_TOTAL - fields.used), true);
  view.setBigInt64(88, BigInt(DESCRIPTORS_TOTAL), true);
  view.setBigInt64(96, BigInt(DESCRIPTORS_OFFSET), true);
  view.setBigInt64(104, BigInt(DESCRIPTORS_TOTAL * DESCRIPTOR_SIZE), true);
  view.setBigInt64(112, BigInt(DATA_OFFSET), true);
  view.setBigInt64(120, BigInt(fields.dataSize), true);
}

function putString(head: Uint8Array, at: number, max: number, text: string, what: string): void {
  const bytes = new TextEncoder().encode(text);
  if (bytes.length > max) {
    throw new RangeError(`A SIF ${what} has at most ${max} bytes, got ${bytes.length}`);
  }
  head.set(bytes, at);
}
