import type { FileRanges } from '../fs/read-regular-file.js';
import { looksLikeZip } from './zip-entries.js';

/**
 * Is a flavor's model file of the kind its loader reads? Cheap checks on the first bytes (magic
 * numbers, the first tokens of a text or UBJSON format) and, for ONNX, a walk over the top-level
 * protobuf fields that seeks over their payloads: a bounded number of small reads whatever the
 * file's size, and nothing in the file is trusted beyond the bytes checked.
 */
export type ModelFileKind = 'zip' | 'pickle' | 'json' | 'ubj' | 'lightgbm-text' | 'catboost-binary' | 'onnx' | 'hdf5';

/** What each kind is called in messages. */
export const KIND_NAMES: Record<ModelFileKind, string> = {
  zip: 'a zip archive',
  pickle: 'a pickle',
  json: 'a JSON document',
  ubj: 'a UBJSON document',
  'lightgbm-text': 'a LightGBM text model',
  'catboost-binary': 'a CatBoost binary model',
  onnx: 'an ONNX model (protobuf)',
  hdf5: 'an HDF5 file',
};

const HEAD_BYTES = 64;
const HDF5_SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Whether the file is of `kind`. */
export function isFileOfKind(file: FileRanges, kind: ModelFileKind): boolean {
  const head = file.read(0, HEAD_BYTES);
  switch (kind) {
    case 'zip':
      return looksLikeZip(head);
    case 'pickle':
      // PROTO 2-5 (what every Python 3 pickler writes by default), or the `(`/`c`/`]`/`}` a protocol 0/1 pickle opens with.
      return (head[0] === 0x80 && head[1] !== undefined && head[1] >= 2 && head[1] <= 5) || [0x28, 0x63, 0x5d, 0x7d].includes(head[0] ?? -1);
    case 'json': {
      const text = head.toString('latin1').replace(/^\uFEFF?[\s]*/, '');
      return /^\{\s*("|\}|$)/.test(text) || /^\[/.test(text);
    }
    case 'ubj':
      // An object whose first key's length is typed (`i`, `U`, `I`, `l`, `L`): UBJSON keys carry no `S` marker.
      return head[0] === 0x7b && [0x69, 0x55, 0x49, 0x6c, 0x4c, 0x7d, 0x24, 0x23].includes(head[1] ?? -1);
    case 'lightgbm-text':
      return /^tree\r?\n/.test(head.toString('latin1'));
    case 'catboost-binary':
      return head.subarray(0, 4).toString('latin1') === 'CBM1';
    case 'hdf5':
      // The superblock sits at 0, or at 512, 1024, ... when a user block precedes it: only 0 is checked.
      return head.subarray(0, 8).equals(HDF5_SIGNATURE);
    case 'onnx':
      return isOnnxModel(file);
  }
}

/** What the file looks like instead, for messages: the first kind it matches, if any. */
export function describeFile(file: FileRanges): string {
  if (file.size === 0) return 'an empty file';
  for (const kind of Object.keys(KIND_NAMES) as ModelFileKind[]) {
    if (kind !== 'onnx' && isFileOfKind(file, kind)) return KIND_NAMES[kind];
  }
  return 'of no kind mlf recognizes';
}

/**
 * onnx.proto's ModelProto field numbers and wire types (0 varint, 2 length-delimited):
 * ir_version 1, producer_name 2, producer_version 3, domain 4, model_version 5, doc_string 6,
 * graph 7, opset_import 8, metadata_props 14, training_info 20, functions 25, configuration 26.
 */
const MODEL_PROTO_FIELDS = new Map<number, number>([
  [1, 0], [2, 2], [3, 2], [4, 2], [5, 0], [6, 2], [7, 2], [8, 2], [14, 2], [20, 2], [25, 2], [26, 2],
]);
const MAX_TOP_LEVEL_FIELDS = 100_000;

/** A protobuf ModelProto: only known top-level fields, each of its wire type and within the file, an `ir_version` and a `graph`. */
function isOnnxModel(file: FileRanges): boolean {
  let offset = 0;
  let fields = 0;
  const seen = new Set<number>();
  while (offset < file.size) {
    if (++fields > MAX_TOP_LEVEL_FIELDS) return false;
    const tag = readVarint(file, offset);
    if (!tag) return false;
    offset += tag.length;
    const fieldNumber = Math.floor(tag.value / 8);
    const wireType = tag.value % 8;
    if (MODEL_PROTO_FIELDS.get(fieldNumber) !== wireType) return false;
    seen.add(fieldNumber);
    const value = readVarint(file, offset);
    if (!value) return false;
    offset += value.length;
    if (wireType === 2) {
      if (offset + value.value > file.size) return false;
      offset += value.value;
    }
  }
  return seen.has(1) && seen.has(7);
}

/** A varint of at most 8 bytes (enough for any offset in a file), or undefined when malformed or cut off. */
function readVarint(file: FileRanges, offset: number): { value: number; length: number } | undefined {
  const bytes = file.read(offset, 10);
  let value = 0;
  let scale = 1;
  for (let i = 0; i < bytes.length && i < 8; i += 1) {
    const byte = bytes[i]!;
    value += (byte & 0x7f) * scale;
    if ((byte & 0x80) === 0) return { value, length: i + 1 };
    scale *= 128;
  }
  return undefined;
}
