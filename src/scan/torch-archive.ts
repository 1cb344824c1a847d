import { inputError } from '../errors.js';
import type { FileRanges } from '../fs/read-regular-file.js';
import { scanPickle, type PickleScan } from './pickle-scan.js';
import { listZipEntries, readZipEntry } from './zip-entries.js';

/** The pickle of a module's object tree is small (the tensors are separate entries); a larger one is refused. */
const MAX_DATA_PICKLE_BYTES = 256 * 1024 * 1024;

/**
 * The static scan of a `torch.save` archive (a zip whose one top-level folder holds `data.pkl`,
 * the pickled object tree, next to the tensors' storages; a TorchScript archive has one too):
 * the pickle's globals, as a pickled sklearn model's are scanned. No code runs.
 */
export function scanTorchArchive(file: FileRanges, shown: string): PickleScan {
  const entry = listZipEntries(file, shown).find((candidate) => /^[^/]+\/data\.pkl$/.test(candidate.name));
  if (!entry) throw inputError('TORCH_ARCHIVE_INVALID', `\`${shown}\` is a zip archive without \`<name>/data.pkl\`, so not a file torch.save wrote`, { file: shown });
  return scanPickle(readZipEntry(file, entry, MAX_DATA_PICKLE_BYTES, shown), `${shown}:${entry.name}`);
}
