// Bytes of model files for tests, made here rather than by the libraries: zip archives (skops
// files, `.keras` archives, torch's zip format) and minimal pickles.
import { crc32, deflateRawSync } from 'node:zlib';
import type { FileRanges } from '../../src/fs/read-regular-file.js';

/**
 * Zip archives for tests (skops files, `.keras` archives, torch's zip format): each entry stored
 * or deflated, with a central directory and end record as PKWARE's APPNOTE lays them out.
 * `sizes` overrides what the headers claim, for archives that lie.
 */
export function zipOf(entries: Record<string, string | Buffer>, options: { deflate?: boolean; sizes?: Record<string, number> } = {}): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, content] of Object.entries(entries)) {
    const nameBytes = Buffer.from(name, 'utf8');
    const data = Buffer.isBuffer(content) ? content : Buffer.from(content, 'utf8');
    const stored = options.deflate ? deflateRawSync(data) : data;
    const size = options.sizes?.[name] ?? data.length;
    const header = Buffer.alloc(30);
    header.writeUInt32LE(0x04034b50, 0);
    header.writeUInt16LE(20, 4);
    header.writeUInt16LE(options.deflate ? 8 : 0, 8);
    header.writeUInt32LE(crc32(data), 14);
    header.writeUInt32LE(stored.length, 18);
    header.writeUInt32LE(size, 22);
    header.writeUInt16LE(nameBytes.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x800, 8);
    central.writeUInt16LE(options.deflate ? 8 : 0, 10);
    central.writeUInt32LE(crc32(data), 16);
    central.writeUInt32LE(stored.length, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(header, nameBytes, stored);
    centrals.push(central, nameBytes);
    offset += 30 + nameBytes.length + stored.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(Object.keys(entries).length, 8);
  end.writeUInt16LE(Object.keys(entries).length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

/** A skops file whose schema holds one object of `module.className` (skops/io's ObjectNode layout). */
export function skopsOf(module: string, className: string): Buffer {
  const schema = {
    __class__: className,
    __module__: module,
    __loader__: 'ObjectNode',
    content: { __class__: 'dict', __module__: 'builtins', __loader__: 'DictNode', content: {} },
    protocol: 2,
    _skops_version: '0.16.0',
  };
  return zipOf({ 'schema.json': JSON.stringify(schema) });
}

/** A pickle (protocol 2) whose only global is `module.name`. */
export function pickleOf(module: string, name: string): Buffer {
  return Buffer.concat([Buffer.from([0x80, 0x02]), Buffer.from(`c${module}\n${name}\n)\x81.`, 'latin1')]);
}

/** FileRanges over bytes in memory, counting what was read. */
export function ranges(bytes: Buffer): FileRanges & { bytesRead: number } {
  const file = {
    size: bytes.length,
    bytesRead: 0,
    read(offset: number, length: number) {
      const slice = bytes.subarray(Math.max(0, offset), Math.max(0, Math.min(bytes.length, offset + length)));
      file.bytesRead += slice.length;
      return Buffer.from(slice);
    },
  };
  return file;
}

/** A tensor of a PT2 program: its name, torch's ScalarType number (7 float32, 5 int64, 12 bool, 13 bfloat16) and sizes (a number static, `'dyn'` dynamic with `hint`). */
export interface Pt2TensorOf {
  name: string;
  dtype: number;
  sizes: (number | 'dyn')[];
  hint?: number;
}

/**
 * A PT2 archive as torch.export.save (torch 2.13) lays one out: `<folder>/archive_format` reading
 * `pt2`, and `<folder>/models/model.json` with the graph signature's user inputs and outputs and
 * their tensor metadata (`as_int` sizes, `as_expr` with a `hint` for a dynamic one). The weights
 * and sample inputs are placeholders: nothing mlf reads.
 */
export function pt2ArchiveOf(inputs: (Pt2TensorOf | 'int')[], outputs: Pt2TensorOf[], folder = 'model'): Buffer {
  const meta = (tensor: Pt2TensorOf) => ({
    dtype: tensor.dtype,
    sizes: tensor.sizes.map((size) => (size === 'dyn' ? { as_expr: { expr_str: "Symbol('s31', positive=True, integer=True)", hint: { as_int: tensor.hint ?? 5 } } } : { as_int: size })),
    requires_grad: false,
    device: { type: 'cpu', index: null },
    layout: 7,
  });
  const tensors = [...inputs, ...outputs].filter((tensor): tensor is Pt2TensorOf => tensor !== 'int');
  const program = {
    graph_module: {
      graph: { inputs: [], outputs: [], nodes: [], tensor_values: Object.fromEntries(tensors.map((tensor) => [tensor.name, meta(tensor)])) },
      signature: {
        input_specs: [
          { parameter: { arg: { name: 'p_weight' }, parameter_name: 'weight' } },
          ...inputs.map((input) => ({ user_input: { arg: input === 'int' ? { as_int: 3 } : { as_tensor: { name: input.name } } } })),
        ],
        output_specs: outputs.map((output) => ({ user_output: { arg: { as_tensor: { name: output.name } } } })),
      },
    },
    schema_version: { major: 8, minor: 20 },
    torch_version: '2.13.0+cpu',
  };
  return zipOf({
    [`${folder}/data/weights/weight_0`]: Buffer.alloc(8),
    [`${folder}/data/weights/model_weights_config.json`]: '{"config": {}}',
    [`${folder}/models/model.json`]: JSON.stringify(program),
    [`${folder}/data/sample_inputs/model.pt`]: zipOf({ 'model/data.pkl': pickleOf('torch._utils', '_rebuild_tensor_v2') }),
    [`${folder}/archive_format`]: 'pt2',
    [`${folder}/archive_version`]: '0',
    [`${folder}/.data/version`]: '6\n',
    [`${folder}/byteorder`]: 'little',
  });
}

/** An .npy file (numpy/lib/format.py version 1.0): the header dict padded to 64 bytes, then the values in C order. */
export function npyOf(descr: string, shape: number[], values: Buffer, extraHeader = ''): Buffer {
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), ${extraHeader}}`;
  const padded = dict.padEnd(Math.ceil((10 + dict.length + 1) / 64) * 64 - 10 - 1, ' ') + '\n';
  const head = Buffer.alloc(10);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]).copy(head);
  head.writeUInt16LE(padded.length, 8);
  return Buffer.concat([head, Buffer.from(padded, 'latin1'), values]);
}

/** float32 values, little-endian, as numpy stores `<f4`. */
export function float32s(values: number[]): Buffer {
  const bytes = Buffer.alloc(values.length * 4);
  values.forEach((value, index) => bytes.writeFloatLE(value, index * 4));
  return bytes;
}
