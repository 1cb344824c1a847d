/**
 * Predict's input and output, checked before an environment is built or a worker started: the
 * worker reads the input and writes the output itself, so mlf only makes sure that it can.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { inputError, isMlfError } from '../errors.js';
import { checkRegularFileSync, FILE_NOT_FOUND } from '../fs/read-regular-file.js';

export interface PredictFiles {
  /** The input file as given (resolved against `cwd`)... */
  inputPath?: string;
  /** ...or the input text, for `-i -` (stdin). Exactly one of the two. */
  inputData?: string;
  outputPath?: string;
  cwd: string;
}

/** The absolute input and output paths, once the input is a regular file and the output's directory exists. */
export async function checkPredictFiles(files: PredictFiles): Promise<{ inputPath?: string; outputPath?: string }> {
  if ((files.inputPath === undefined) === (files.inputData === undefined)) {
    throw inputError('NO_INPUT', 'give the input as a file (`-i input.json`) or on stdin (`-i -`)');
  }
  const inputPath = files.inputPath === undefined ? undefined : path.resolve(files.cwd, files.inputPath);
  if (inputPath !== undefined) await requireFile(inputPath, files.inputPath!);
  const outputPath = files.outputPath === undefined ? undefined : path.resolve(files.cwd, files.outputPath);
  if (outputPath !== undefined) await requireDirectory(path.dirname(outputPath), files.outputPath!);
  return { ...(inputPath !== undefined ? { inputPath } : {}), ...(outputPath !== undefined ? { outputPath } : {}) };
}

/**
 * The worker reads the input itself (it may be large, so there is no size limit), but only once
 * mlf has seen a regular file there: `/dev/zero` or a FIFO would hang the worker, and a dangling
 * symlink is named as such. Stdin (`-i -`) comes as `inputData` and never gets here.
 */
async function requireFile(absolute: string, shown: string): Promise<void> {
  try {
    checkRegularFileSync(absolute, { shown });
  } catch (error) {
    if (isMlfError(error) && error.code === FILE_NOT_FOUND) {
      throw inputError('INPUT_NOT_FOUND', `the input file \`${shown}\` does not exist`);
    }
    throw error;
  }
}

async function requireDirectory(absolute: string, shownFile: string): Promise<void> {
  const stats = await stat(absolute).catch(() => undefined);
  if (stats === undefined || !stats.isDirectory()) {
    throw inputError('OUTPUT_DIR_NOT_FOUND', `cannot write \`${shownFile}\`: the directory \`${absolute}\` does not exist`);
  }
}
