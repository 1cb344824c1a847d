import { inputError } from '../errors.js';
import type { FileRanges } from '../fs/read-regular-file.js';
import { listZipEntries, readZipEntry, type ZipEntry } from './zip-entries.js';

/**
 * What `mlf models package` needs from a `torch.export.save` archive (PyTorch's PT2 archive, what
 * `mlflow.pytorch.save_model(serialization_format="pt2")` writes as `data/model.pt2`), read
 * without running anything: a zip whose one top-level folder (the file's stem) holds
 * `archive_format` (`pt2`), `models/model.json` (the serialized ExportedProgram: graph, graph
 * signature, tensor metadata), the weights and constants as raw bytes with their JSON configs, and
 * `data/sample_inputs/model.pt` (a torch.save pickle of the example the program was exported with,
 * which only `torch.export.load` reads). Only the two text records are parsed here.
 *
 * From model.json: the graph signature's user inputs and outputs, each with its tensor metadata
 * (`dtype`: torch/_export/serde/schema.py's ScalarType; `sizes`: `as_int` for a static dimension,
 * `as_expr` with the export-time `hint` for a dynamic one).
 */

export interface Pt2Tensor {
  /** The graph's name for it (`input`, `x`, `linear_1`). */
  name: string;
  /** numpy's name for the dtype, as MLflow's TensorSpec writes it; undefined when numpy has none (bfloat16, float8). */
  dtype: string | undefined;
  /** torch's name, for messages. */
  torchDtype: string;
  /** Each dimension: its size, or `dynamic` with the size the program was exported with. */
  sizes: Pt2Dimension[];
}

export type Pt2Dimension = { static: number } | { dynamic: true; hint: number | undefined };

export interface Pt2Program {
  /** The archive's top-level folder. */
  folder: string;
  /** The user inputs in order; `null` for one that is not a tensor (an int, a float, a custom object). */
  inputs: (Pt2Tensor | null)[];
  /** The user outputs in order; `null` for one that is not a tensor. */
  outputs: (Pt2Tensor | null)[];
  /** The torch version that exported it (`torch_version`), when recorded. */
  torchVersion: string | undefined;
}

/** torch/_export/serde/schema.py ScalarType -> numpy dtype name (none for bfloat16, the float8s, complex32). */
const SCALAR_TYPES: Record<number, { torch: string; numpy?: string }> = {
  1: { torch: 'uint8', numpy: 'uint8' },
  2: { torch: 'int8', numpy: 'int8' },
  3: { torch: 'int16', numpy: 'int16' },
  4: { torch: 'int32', numpy: 'int32' },
  5: { torch: 'int64', numpy: 'int64' },
  6: { torch: 'float16', numpy: 'float16' },
  7: { torch: 'float32', numpy: 'float32' },
  8: { torch: 'float64', numpy: 'float64' },
  9: { torch: 'complex32' },
  10: { torch: 'complex64', numpy: 'complex64' },
  11: { torch: 'complex128', numpy: 'complex128' },
  12: { torch: 'bool', numpy: 'bool' },
  13: { torch: 'bfloat16' },
  28: { torch: 'uint16', numpy: 'uint16' },
  29: { torch: 'float8_e4m3fn' },
  30: { torch: 'float8_e5m2' },
  31: { torch: 'float8_e4m3fnuz' },
  32: { torch: 'float8_e5m2fnuz' },
  33: { torch: 'float8_e8m0fnu' },
  34: { torch: 'uint32', numpy: 'uint32' },
  35: { torch: 'uint64', numpy: 'uint64' },
};

/** The serialized program of a small model is a few KB; its graph grows with the model's layers, never with its weights. */
const MAX_MODEL_JSON_BYTES = 64 * 1024 * 1024;
const MAX_TEXT_RECORD_BYTES = 64;

/** The archive's folder when the zip is a PT2 archive (`<folder>/archive_format` reads `pt2`), else undefined. */
export function pt2ArchiveFolder(file: FileRanges, entries: readonly ZipEntry[], shown: string): string | undefined {
  for (const entry of entries) {
    const match = /^([^/]+)\/archive_format$/.exec(entry.name);
    if (!match || entry.size > MAX_TEXT_RECORD_BYTES) continue;
    if (readZipEntry(file, entry, MAX_TEXT_RECORD_BYTES, shown).toString('latin1').trim() === 'pt2') return match[1]!;
  }
  return undefined;
}

function invalid(shown: string, why: string) {
  return inputError('PT2_ARCHIVE_INVALID', `\`${shown}\` is not a PT2 archive mlf can read: ${why}`, {
    file: shown,
    hint: 'pass the file `torch.export.save(torch.export.export(module, (example,)), FILE)` wrote',
  });
}

type Json = unknown;
const isRecord = (value: Json): value is Record<string, Json> => value !== null && typeof value === 'object' && !Array.isArray(value);

function tensorName(argument: Json): string | null {
  // An Argument union: `{as_tensor: {name}}` for a tensor, another key (`as_int`, `as_none`, `as_custom_obj`...) otherwise.
  if (!isRecord(argument) || !isRecord(argument.as_tensor) || typeof argument.as_tensor.name !== 'string') return null;
  return argument.as_tensor.name;
}

function readTensor(name: string, values: Record<string, Json>, shown: string): Pt2Tensor {
  const meta = values[name];
  if (!isRecord(meta) || typeof meta.dtype !== 'number' || !Array.isArray(meta.sizes)) throw invalid(shown, `the tensor \`${name}\` has no metadata in \`models/model.json\``);
  const scalar = SCALAR_TYPES[meta.dtype];
  const sizes = meta.sizes.map((size): Pt2Dimension => {
    if (isRecord(size) && typeof size.as_int === 'number') return { static: size.as_int };
    if (isRecord(size) && isRecord(size.as_expr)) {
      const hint = isRecord(size.as_expr.hint) && typeof size.as_expr.hint.as_int === 'number' ? size.as_expr.hint.as_int : undefined;
      return { dynamic: true, hint };
    }
    throw invalid(shown, `a dimension of the tensor \`${name}\` is neither a size nor an expression`);
  });
  return { name, dtype: scalar?.numpy, torchDtype: scalar?.torch ?? `ScalarType ${meta.dtype}`, sizes };
}

/** Reads the program's user inputs and outputs from `<folder>/models/model.json`. */
export function readPt2Program(file: FileRanges, shown: string): Pt2Program {
  const entries = listZipEntries(file, shown);
  const folder = pt2ArchiveFolder(file, entries, shown);
  if (folder === undefined) throw invalid(shown, 'it has no `<name>/archive_format` reading `pt2`');
  const modelEntry = entries.find((entry) => entry.name === `${folder}/models/model.json`);
  if (!modelEntry) {
    const others = entries.filter((entry) => entry.name.startsWith(`${folder}/models/`) && entry.name.endsWith('.json')).map((entry) => `\`${entry.name}\``);
    throw invalid(shown, `it has no \`${folder}/models/model.json\`${others.length > 0 ? ` (it holds ${others.join(', ')}: mlf reads the program torch.export.save names \`model\`)` : ''}`);
  }
  let document: Json;
  try {
    document = JSON.parse(readZipEntry(file, modelEntry, MAX_MODEL_JSON_BYTES, shown).toString('utf8'));
  } catch (error) {
    if (error instanceof SyntaxError) throw invalid(shown, '`models/model.json` is not JSON');
    throw error;
  }
  const graphModule = isRecord(document) ? document.graph_module : undefined;
  const graph = isRecord(graphModule) ? graphModule.graph : undefined;
  const signature = isRecord(graphModule) ? graphModule.signature : undefined;
  if (!isRecord(graph) || !isRecord(signature) || !Array.isArray(signature.input_specs) || !Array.isArray(signature.output_specs) || !isRecord(graph.tensor_values)) {
    throw invalid(shown, '`models/model.json` has no graph signature (`graph_module.signature`) or tensor values');
  }
  const values = graph.tensor_values;
  const pick = (specs: Json[], kind: 'user_input' | 'user_output') =>
    specs
      .filter((spec): spec is Record<string, Record<string, Json>> => isRecord(spec) && isRecord(spec[kind]))
      .map((spec) => {
        const name = tensorName(spec[kind]!.arg);
        return name === null ? null : readTensor(name, values, shown);
      });
  return {
    folder,
    inputs: pick(signature.input_specs, 'user_input'),
    outputs: pick(signature.output_specs, 'user_output'),
    torchVersion: isRecord(document) && typeof document.torch_version === 'string' ? document.torch_version : undefined,
  };
}
