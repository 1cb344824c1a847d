import { Option } from 'commander';
import { usageError } from '../../errors.js';
import type { CliContext } from '../context.js';
import { addCommonOptions, collect } from '../options.js';
import { parseKeyValueFlags } from '../key-value-flags.js';
import { bold, dim, printJson, say, warn } from '../render.js';
import type { RegisterCommand } from './index.js';
import { flavorWriters } from '../../package/flavors/index.js';
import type { LockMode, ModelSource, PackageResult } from '../../package/package-model.js';

interface PackageFlags {
  outputPath: string;
  flavor?: string;
  modelFile?: string;
  serializationFormat?: string;
  modelType?: string;
  pythonModel?: string;
  loaderModule?: string;
  data?: string;
  codePath: string[];
  inferCodePaths?: boolean;
  pipRequirements?: string[];
  extraPipRequirements?: string[];
  condaEnv?: string;
  inputExample?: string;
  signature?: string;
  noSignature?: boolean;
  python?: string;
  capture?: boolean;
  lock?: boolean | string;
  hashes?: boolean;
  explain?: boolean;
  metadata: string[];
  force?: boolean;
  json?: boolean;
  verbose?: boolean;
  quiet?: boolean;
}

/** The writers `--flavor NAME --model-file FILE` selects, from the registry (package/flavors/index.ts). */
const MODEL_FILE_FLAVORS = flavorWriters.flatMap((writer) => (writer.modelFileFlavor ? [writer.modelFileFlavor] : []));
const FLAVOR_NAMES = MODEL_FILE_FLAVORS.map((flavor) => flavor.name);
const ONE_MODEL = 'give exactly one model: `--flavor NAME --model-file FILE`, `--python-model FILE.py` or `--loader-module MODULE --data PATH`';

/** Exactly one of the three ways to give a model. */
export function modelSourceFromFlags(flags: PackageFlags): ModelSource {
  const forms = [
    flags.flavor !== undefined || flags.modelFile !== undefined ? 'model-file' : undefined,
    flags.pythonModel !== undefined ? 'python-model' : undefined,
    flags.loaderModule !== undefined || flags.data !== undefined ? 'loader-module' : undefined,
  ].filter((x) => x !== undefined);
  if (forms.length !== 1) throw usageError('MODEL_SOURCE', ONE_MODEL);
  if (forms[0] === 'model-file') {
    const flavor = MODEL_FILE_FLAVORS.find((candidate) => candidate.name === flags.flavor);
    if (!flavor) {
      throw usageError('UNSUPPORTED_FLAVOR', `${flags.flavor === undefined ? '`--model-file` needs `--flavor NAME`' : `flavor \`${flags.flavor}\` is not supported`}; \`--flavor\` is one of ${FLAVOR_NAMES.map((name) => `\`${name}\``).join(', ')}`);
    }
    if (!flags.modelFile) throw usageError('MODEL_SOURCE', `\`--flavor ${flavor.name}\` needs \`--model-file FILE\``);
    if (flags.serializationFormat !== undefined && !flavor.serializationFormats) {
      throw usageError('SERIALIZATION_FORMAT', `\`--serialization-format\` is for \`--flavor ${MODEL_FILE_FLAVORS.filter((f) => f.serializationFormats).map((f) => f.name).join('`, `--flavor ')}\`, not \`--flavor ${flavor.name}\``);
    }
    if (flags.modelType !== undefined && !flavor.modelTypes) {
      throw usageError('MODEL_TYPE', `\`--model-type\` is for \`--flavor ${MODEL_FILE_FLAVORS.filter((f) => f.modelTypes).map((f) => f.name).join('`, `--flavor ')}\`, not \`--flavor ${flavor.name}\``);
    }
    return flavor.source(flags.modelFile, { serializationFormat: flags.serializationFormat, modelType: flags.modelType }) as ModelSource;
  }
  if (forms[0] === 'python-model') return { kind: 'python-model', modelFile: flags.pythonModel! };
  if (!flags.loaderModule || !flags.data) throw usageError('MODEL_SOURCE', '`--loader-module MODULE` and `--data PATH` go together');
  return { kind: 'loader-module', loaderModule: flags.loaderModule, dataPath: flags.data };
}

export function parseMetadata(values: readonly string[]): Record<string, string> {
  return parseKeyValueFlags('--metadata', 'INVALID_METADATA', values);
}

function lockMode(value: boolean | string | undefined): LockMode {
  if (value === undefined || value === false) return 'off';
  if (value === true || value === 'warn') return 'warn';
  if (value === 'strict') return 'strict';
  throw usageError('INVALID_LOCK_MODE', `\`--lock=${value}\`: use \`--lock\` or \`--lock=strict\``);
}

export const registerPackage: RegisterCommand = ({ models }, ctx) => {
  const command = models
    .command('package')
    .description('Write a complete MLflow model directory (what mlflow.<flavor>.save_model writes), with explainable dependency inference.')
    .requiredOption('-o, --output-path <OUT_DIR>', 'the model directory to write (refused when it exists and is not empty, unless --force)')
    .option('--flavor <FLAVOR>', `the flavor of --model-file: ${FLAVOR_NAMES.join(', ')}`)
    .option('--model-file <FILE>', `the model file: ${MODEL_FILE_FLAVORS.map((flavor) => `${flavor.name}: ${flavor.file}`).join('; ')}`)
    .option(
      '--serialization-format <FORMAT>',
      `how --model-file was written (${MODEL_FILE_FLAVORS.filter((f) => f.serializationFormats).map((f) => `--flavor ${f.name}: ${f.serializationFormats!.join(', ')}; default ${f.serializationFormatDefault ?? f.serializationFormats![0]}`).join('; ')})`,
    )
    .option(
      '--model-type <CLASS>',
      `the class --model-file was saved from, which MLflow records and loads it as (${MODEL_FILE_FLAVORS.filter((f) => f.modelTypes).map((f) => `--flavor ${f.name}: ${f.modelTypes!.join(', ')}; ${f.defaultModelType === undefined ? 'required' : `default ${f.defaultModelType}`}`).join('; ')})`,
    )
    .option('--python-model <FILE.py>', 'a model from code: a Python file that calls mlflow.models.set_model()')
    .option('--loader-module <MODULE>', 'a custom pyfunc: the module whose _load_pyfunc(data_path) loads the model')
    .option('--data <PATH>', 'the file or directory --loader-module loads (copied to data/)')
    .option('--code-path <PATH>', 'a file or directory copied to code/<basename> and put on sys.path at load (repeatable)', collect, [])
    .option('--infer-code-paths', "follow the model's imports and copy the local modules it needs, keeping their package path")
    .option('--pip-requirements <REQ>', 'the complete requirement list, one requirement or `-r FILE` per flag (repeatable; no inference)', collect)
    .option('--extra-pip-requirements <REQ>', 'added to the inferred requirements, one requirement or `-r FILE` per flag (repeatable)', collect)
    .option('--conda-env <FILE>', 'a conda environment file used as is (its pip list becomes requirements.txt)')
    .option('--input-example <FILE>', 'an example input: JSON (pandas split orient or records) or CSV; for a pytorch pt2 archive, a numpy array: an .npy file (np.save) or JSON {"inputs": [[...]]}')
    .option('--signature <FILE.json>', 'the signature: {"inputs": ..., "outputs": ..., "params": ...} as MLmodel holds it')
    .option('--no-signature', 'write no signature, even with an input example')
    .option('--python <PATH>', 'the interpreter the model was trained with (default: python3 on PATH)')
    .option('--capture', 'load the model and predict on the example inside --python, recording its imports (as MLflow does)')
    .addOption(new Option('--lock [MODE]', 'resolve the full requirement set with `uv pip compile`; `--lock=strict` makes a failure an error'))
    .option('--hashes', 'with --lock: add hashes (`--generate-hashes`)')
    .option('--explain', 'show why each requirement is there and what inference left out')
    .option('--metadata <KEY=VALUE>', 'free metadata written to MLmodel (repeatable)', collect, [])
    .option('--force', 'replace OUT_DIR when it exists and is not empty')
    .addHelpText(
      'after',
      '\nExamples:\n  mlf models package -o model --flavor sklearn --model-file model.pkl --input-example example.json --explain\n  mlf models package -o model --flavor pytorch --model-file model.pt2 --input-example example.npy --capture\n  mlf models package -o model --python-model model.py --code-path textutils --capture\n  mlf models package -o model --loader-module custom_loader --data weights.json --infer-code-paths',
    );
  addCommonOptions(command).action(async (flags: PackageFlags) => {
    const source = modelSourceFromFlags(flags);
    const { packageModelDirectory } = await import('../../ops/package.js');
    const quiet = Boolean(flags.quiet || flags.json);
    const result = await packageModelDirectory({
      cwd: ctx.cwd,
      env: ctx.env,
      outDir: flags.outputPath,
      source,
      codePaths: flags.codePath,
      inferCodePaths: Boolean(flags.inferCodePaths),
      ...(flags.pipRequirements !== undefined ? { pipRequirements: flags.pipRequirements } : {}),
      ...(flags.extraPipRequirements !== undefined ? { extraPipRequirements: flags.extraPipRequirements } : {}),
      ...(flags.condaEnv !== undefined ? { condaEnv: flags.condaEnv } : {}),
      ...(flags.inputExample !== undefined ? { inputExample: flags.inputExample } : {}),
      // commander's --no-signature sets `signature: false` (a file name is a string): that is not a `--signature`.
      ...(typeof flags.signature === 'string' ? { signature: flags.signature } : {}),
      noSignature: (flags.signature as unknown) === false,
      ...(flags.python !== undefined ? { python: flags.python } : {}),
      capture: Boolean(flags.capture),
      lock: lockMode(flags.lock),
      hashes: Boolean(flags.hashes),
      metadata: parseMetadata(flags.metadata),
      force: Boolean(flags.force),
      onProgress: (message) => {
        if (!quiet && flags.verbose) say(ctx, dim(ctx, message));
      },
    });
    render(ctx, result, flags);
  });
};

export function formatExplain(result: PackageResult): string {
  const lines: string[] = [];
  lines.push(`requirements.txt (${result.inference}, MLflow ${result.mlflowVersion}, Python ${result.pythonVersion} at ${result.python}):`);
  for (const item of result.requirements) {
    lines.push(`  ${item.requirement}`);
    for (const reason of item.reasons) lines.push(`      - ${reason}`);
  }
  if (result.constraints.length > 0) {
    lines.push('constraints.txt:');
    for (const line of result.constraints) lines.push(`  ${line}`);
  }
  if (result.strippedLocalLabels.length > 0) {
    lines.push('local version labels stripped:');
    for (const item of result.strippedLocalLabels) lines.push(`  ${item.name}: installed ${item.installed}, required as ${item.requirement}`);
  }
  if (result.dropped.length > 0) {
    lines.push('left out:');
    const order = ['pruned', 'local code', 'mlflow', 'build tool', 'standard library'] as const;
    for (const why of order) {
      const items = result.dropped.filter((d) => d.why === why);
      if (items.length === 0) continue;
      if (why === 'standard library') {
        lines.push(`  standard library: ${items.map((d) => d.module).sort().join(', ')}`);
        continue;
      }
      for (const item of items) lines.push(`  ${item.module}: ${item.detail}`);
    }
  }
  if (result.captured) {
    lines.push(`captured (--capture): ${result.captured.ok ? result.captured.modules.join(', ') : 'failed'}`);
    if (result.captured.failedImports.length > 0) {
      lines.push(`  tried but not installed (optional imports; the model loaded without them): ${result.captured.failedImports.join(', ')}`);
    }
  }
  if (result.codeFiles.length > 0) {
    lines.push('code:');
    for (const file of result.codeFiles) lines.push(`  ${file}`);
  }
  return `${lines.join('\n')}\n`;
}

function render(ctx: CliContext, result: PackageResult, flags: PackageFlags): void {
  if (flags.json) {
    printJson(ctx, { ok: true, ...result });
    return;
  }
  if (!flags.quiet) {
    for (const warning of result.warnings) warn(ctx, warning.message);
    for (const note of result.notes) say(ctx, dim(ctx, `note: ${note}`));
  }
  if (flags.explain) ctx.stderr.write(formatExplain(result));
  if (!flags.quiet) {
    say(ctx, `${bold(ctx, 'wrote')} ${result.outDir} (${result.files.length} files, ${result.requirements.filter((r) => !r.requirement.startsWith('#')).length} requirements)`);
  }
  ctx.stdout.write(`${result.outDir}\n`);
}
