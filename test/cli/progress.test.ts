import { PassThrough, Writable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CliContext } from '../../src/cli/context.js';
import { createBatchProgressRenderer, createProgressRenderer, describeBatchProgress, describeEvent, formatElapsed } from '../../src/cli/progress.js';
import type { BatchProgress } from '../../src/batch/engine.js';
import type { ProgressEvent } from '../../src/env/index.js';
import type { ModelSourceEvent } from '../../src/ops/model-source.js';

function context(isTTY: boolean): { ctx: CliContext; text: () => string } {
  let written = '';
  const stderr = new Writable({
    write(chunk, _enc, cb) {
      written += chunk.toString();
      cb();
    },
  });
  const ctx: CliContext = {
    stdout: new PassThrough(),
    stderr,
    stdin: new PassThrough(),
    cwd: '/',
    env: { NO_COLOR: '1' },
    stderrIsTTY: isTTY,
    exitCode: 0,
  };
  return { ctx, text: () => written };
}

const build: ProgressEvent[] = [
  { kind: 'resolving-python', requested: '3.11.7', elapsedMs: 0 },
  { kind: 'python-found', version: '3.11.7', path: '/py/python3', elapsedMs: 5 },
  { kind: 'creating', manager: 'uv', envDir: '/c/uv-1', elapsedMs: 10 },
  { kind: 'installing', step: 'build dependencies', count: 3, packages: ['pip', 'setuptools', 'wheel'], elapsedMs: 100 },
  { kind: 'output', line: 'Resolved 3 packages in 5ms', elapsedMs: 120 },
  { kind: 'installing', step: 'requirements', count: 1, packages: ['six'], elapsedMs: 200 },
  { kind: 'warning', message: 'something to know', elapsedMs: 250 },
  { kind: 'built', envDir: '/c/uv-1', elapsedMs: 3456 },
];

afterEach(() => {
  vi.useRealTimers();
});

describe('progress rendering', () => {
  it('writes one plain line per phase when stderr is not a terminal', () => {
    const { ctx, text } = context(false);
    const renderer = createProgressRenderer(ctx, {});
    build.forEach(renderer.onProgress);
    renderer.stop();
    expect(text()).toBe(
      [
        'creating a uv environment at /c/uv-1',
        'installing 3 build dependencies',
        'installing 1 requirement',
        'warning: something to know',
        'built the environment in 3.5s',
        '',
      ].join('\n'),
    );
  });

  it('streams the installer output and more detail with --verbose', () => {
    const { ctx, text } = context(false);
    const renderer = createProgressRenderer(ctx, { verbose: true });
    build.forEach(renderer.onProgress);
    expect(text().split('\n').slice(0, 6)).toEqual([
      'resolving Python 3.11.7',
      'using Python 3.11.7 at /py/python3',
      'creating a uv environment at /c/uv-1',
      'installing 3 build dependencies',
      'Resolved 3 packages in 5ms',
      'installing 1 requirement',
    ]);
  });

  it.each([{ json: true }, { quiet: true }, { json: true, verbose: true }])('writes nothing with %j', (options) => {
    for (const tty of [true, false]) {
      const { ctx, text } = context(tty);
      const renderer = createProgressRenderer(ctx, options);
      build.forEach(renderer.onProgress);
      renderer.stop();
      expect(text()).toBe('');
    }
  });

  it('draws an updating spinner line on a terminal, and clears it', () => {
    vi.useFakeTimers();
    const { ctx, text } = context(true);
    const renderer = createProgressRenderer(ctx, {});
    renderer.onProgress({ kind: 'installing', step: 'requirements', count: 12, packages: [], elapsedMs: 0 });
    vi.advanceTimersByTime(1250);
    const out = text();
    expect(out).toContain('\r\u001b[2K');
    expect(out).toMatch(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] installing 12 requirements \(1\.2s\)$/);
    renderer.onProgress({ kind: 'warning', message: 'heads up', elapsedMs: 0 });
    expect(text()).toContain('\r\u001b[2Kwarning: heads up\n');
    renderer.onProgress({ kind: 'built', envDir: '/c', elapsedMs: 1250 });
    expect(text().endsWith('\r\u001b[2K✓ built the environment in 1.3s\n')).toBe(true);
    const length = text().length;
    vi.advanceTimersByTime(1000);
    expect(text().length).toBe(length); // the timer stopped
    renderer.stop();
  });
});

describe('spinner line width', () => {
  it('truncates the status to the terminal width, so that the line can be redrawn', () => {
    vi.useFakeTimers();
    const { ctx, text } = context(true);
    (ctx.stderr as unknown as { columns: number }).columns = 40;
    const renderer = createProgressRenderer(ctx, {});
    renderer.onProgress({ kind: 'creating', manager: 'uv', envDir: '/a/very/long/cache/path/envs-v1/uv-0123456789abcdef', elapsedMs: 0 });
    const line = text().split('\r\u001b[2K').pop()!;
    expect(line).toBe('⠙ creating a uv environment at … (0.0s)');
    expect(line.length).toBeLessThanOrEqual(40);
    renderer.stop();
  });
});

describe('describeEvent', () => {
  it.each<[ProgressEvent, string | undefined]>([
    [{ kind: 'waiting-for-lock', envDir: '/c/uv-1', elapsedMs: 0 }, 'waiting for another mlf process that is building /c/uv-1'],
    [{ kind: 'installing', step: 'override', count: 2, packages: [], elapsedMs: 0 }, 'installing 2 override requirements (--pip-requirements-override)'],
    [{ kind: 'installing', step: 'mlflow', count: 1, packages: [], elapsedMs: 0 }, 'installing mlflow (--install-mlflow)'],
    [{ kind: 'installing', step: 'build dependencies', count: 1, packages: [], elapsedMs: 0 }, 'installing 1 build dependency'],
    [{ kind: 'cache-hit', envDir: '/c', elapsedMs: 0 }, undefined],
  ])('%j', (event, text) => {
    expect(describeEvent(event)).toBe(text);
  });

  it.each([
    [400, '0.4s'],
    [59_900, '59.9s'],
    [61_000, '1m01s'],
  ])('formatElapsed(%d) = %s', (ms, text) => {
    expect(formatElapsed(ms)).toBe(text);
  });
});

describe('a remote model\'s download', () => {
  const events: ModelSourceEvent[] = [
    { kind: 'model-resolved', modelUri: 'models:/iris@champion', location: 'http://h/api/2.0/mlflow-artifacts/artifacts/0/m', registered: { name: 'iris', version: '3' }, cached: false },
    { kind: 'model-download-started', location: 'http://h/api/2.0/mlflow-artifacts/artifacts/0/m', files: 8, bytes: 3 * 1024 * 1024 },
    { kind: 'model-download-progress', filesDone: 3, files: 8, bytesDone: 1024 * 1024, bytes: 3 * 1024 * 1024 },
    { kind: 'model-downloaded', location: 'http://h/api/2.0/mlflow-artifacts/artifacts/0/m', files: 8, bytes: 3 * 1024 * 1024, elapsedMs: 1500 },
    { kind: 'model-warning', message: '--offline: using it' },
  ];

  it('is two plain lines (start and end) and the warnings when stderr is not a terminal', () => {
    const { ctx, text } = context(false);
    const renderer = createProgressRenderer(ctx, {});
    events.forEach(renderer.onModelEvent);
    renderer.stop();
    expect(text()).toBe(
      [
        'downloading http://h/api/2.0/mlflow-artifacts/artifacts/0/m (8 files, 3.0 MiB)',
        'downloaded 8 files (3.0 MiB) in 1.5s',
        'warning: --offline: using it',
        '',
      ].join('\n'),
    );
  });

  it('names the version it resolved to with --verbose', () => {
    const { ctx, text } = context(false);
    createProgressRenderer(ctx, { verbose: true }).onModelEvent(events[0]!);
    expect(text()).toBe('models:/iris@champion (version 3) is at http://h/api/2.0/mlflow-artifacts/artifacts/0/m\n');
  });

  it('shows files and bytes on a terminal while it downloads', () => {
    vi.useFakeTimers();
    const { ctx, text } = context(true);
    const renderer = createProgressRenderer(ctx, {});
    events.slice(0, 3).forEach(renderer.onModelEvent);
    vi.advanceTimersByTime(150);
    expect(text()).toContain('downloading the model: 3/8 files, 1.0 MiB of 3.0 MiB');
    renderer.onModelEvent(events[3]!);
    expect(text()).toContain('✓ downloaded 8 files (3.0 MiB) in 1.5s\n');
    renderer.stop();
  });

  it('prints only the warnings under --json, and nothing under -q', () => {
    const json = context(false);
    events.forEach(createProgressRenderer(json.ctx, { json: true }).onModelEvent);
    expect(json.text()).toBe('warning: --offline: using it\n');
    const quiet = context(false);
    events.forEach(createProgressRenderer(quiet.ctx, { quiet: true }).onModelEvent);
    expect(quiet.text()).toBe('');
  });
});

describe('batch-predict progress', () => {
  const progress = (over: Partial<BatchProgress>): BatchProgress => ({
    partsTotal: 10, partsDone: 3, partsResumed: 0, files: 2, rowsDone: 300_000, rowsResumed: 0, rowsTotal: 1_000_000, bytesDone: 30, bytesResumed: 0, bytesTotal: 100, elapsedMs: 3_000, ...over,
  });

  it('rows, parts, files, the rate of this run and the ETA', () => {
    expect(describeBatchProgress(progress({}))).toBe('scoring: 3/10 parts, 300000/1000000 rows, 2 files, 100000 rows/s, ETA 7.0s');
    // Resumed parts count as done, not towards the rate.
    expect(describeBatchProgress(progress({ partsResumed: 2, rowsResumed: 200_000, bytesResumed: 20 }))).toBe('scoring: 3/10 parts (2 resumed), 300000/1000000 rows, 2 files, 33333 rows/s, ETA 21.0s');
  });

  it('without a row count (CSV, JSON lines) the ETA comes from bytes; none at the end or before a row', () => {
    expect(describeBatchProgress(progress({ rowsTotal: undefined }))).toBe('scoring: 3/10 parts, 300000 rows, 2 files, 100000 rows/s, ETA 7.0s');
    expect(describeBatchProgress(progress({ partsDone: 10, rowsDone: 1_000_000 }))).toBe('scoring: 10/10 parts, 1000000/1000000 rows, 2 files, 333333 rows/s');
    expect(describeBatchProgress(progress({ partsDone: 0, rowsDone: 0, elapsedMs: 0 }))).toBe('scoring: 0/10 parts, 0/1000000 rows, 2 files');
  });

  it('off a terminal: a line at the start and the end, at most every 5 s between; nothing under --json', () => {
    const { ctx, text } = context(false);
    const renderer = createBatchProgressRenderer(ctx, {});
    renderer.onBatchProgress(progress({ partsDone: 0 }));
    renderer.onBatchProgress(progress({ partsDone: 5 }));
    renderer.onBatchProgress(progress({ partsDone: 10 }));
    expect(text().split('\n').filter(Boolean).map((line) => line.split(',')[0])).toEqual(['scoring: 0/10 parts', 'scoring: 10/10 parts']);
    const silent = context(false);
    createBatchProgressRenderer(silent.ctx, { json: true }).onBatchProgress(progress({}));
    expect(silent.text()).toBe('');
  });
});
