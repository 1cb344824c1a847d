import type { ProgressEvent } from '../env/index.js';
import type { BatchProgress } from '../batch/engine.js';
import type { ModelSourceEvent } from '../ops/model-source.js';
import type { CliContext } from './context.js';
import { buildEnded, trackBuild } from './interrupt.js';
import { dim, formatSize, green, yellow } from './render.js';

/**
 * Draws environment progress on stderr: an updating spinner line on a terminal, one plain
 * line per phase otherwise (logs, CI), nothing under --json or -q. With --verbose the
 * installer's own output is streamed above the spinner (or as plain lines).
 */
export interface ProgressRenderer {
  onProgress: (event: ProgressEvent) => void;
  /** A remote model's resolution and download (ops/model-source.ts). */
  onModelEvent: (event: ModelSourceEvent) => void;
  /** Clears the spinner line and stops its timer; call when the work ends, success or not. */
  stop: () => void;
}

export interface ProgressRenderOptions {
  json?: boolean;
  quiet?: boolean;
  verbose?: boolean;
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const REDRAW_MS = 100;

export function createProgressRenderer(ctx: CliContext, options: ProgressRenderOptions): ProgressRenderer {
  const drawn: ProgressRenderer =
    options.json || options.quiet
      ? {
          onProgress: () => undefined,
          // Under --json stdout holds the one object; a warning about which model ran still belongs on stderr.
          onModelEvent: (event) => {
            if (!options.quiet && event.kind === 'model-warning') ctx.stderr.write(`${yellow(ctx, 'warning')}: ${event.message}\n`);
          },
          stop: () => undefined,
        }
      : ctx.stderrIsTTY
        ? spinnerRenderer(ctx, options)
        : plainRenderer(ctx, options);
  // Also followed when nothing is drawn: an interrupt names the environment being built.
  return {
    onProgress: (event) => {
      trackBuild(event);
      drawn.onProgress(event);
    },
    onModelEvent: (event) => drawn.onModelEvent(event),
    stop: () => {
      buildEnded();
      drawn.stop();
    },
  };
}

/** The sentence for a phase event, or undefined for events that are not phases. */
export function describeEvent(event: ProgressEvent, verbose = false): string | undefined {
  switch (event.kind) {
    case 'resolving-python':
      return verbose ? `resolving Python ${event.requested}` : undefined;
    case 'python-found':
      return verbose ? `using Python ${event.version} at ${event.path}` : undefined;
    case 'cache-hit':
      return verbose ? `using the cached environment ${event.envDir}` : undefined;
    case 'waiting-for-lock':
      return `waiting for another mlf process that is building ${event.envDir}`;
    case 'creating':
      return `creating a ${event.manager} environment at ${event.envDir}`;
    case 'installing':
      return `installing ${describeStep(event.step, event.count)}`;
    case 'built':
      return `built the environment in ${formatElapsed(event.elapsedMs)}`;
    default:
      return undefined;
  }
}

function describeStep(step: string, count: number): string {
  const n = (singular: string, plural: string) => `${count} ${count === 1 ? singular : plural}`;
  switch (step) {
    case 'build dependencies':
      return n('build dependency', 'build dependencies');
    case 'requirements':
      return n('requirement', 'requirements');
    case 'override':
      return `${n('override requirement', 'override requirements')} (--pip-requirements-override)`;
    default:
      return 'mlflow (--install-mlflow)';
  }
}

export function formatElapsed(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes}m${String(Math.floor((ms % 60_000) / 1000)).padStart(2, '0')}s`;
}

/**
 * A remote model's events as sentences: where the URI resolved to (with -v), the download's start
 * and end, and warnings; progress lines only on a terminal (describeDownloadProgress).
 */
export function describeModelEvent(event: ModelSourceEvent, verbose = false): string | undefined {
  switch (event.kind) {
    case 'model-resolved': {
      if (!verbose) return undefined;
      const version = event.registered ? ` (version ${event.registered.version})` : '';
      return `${event.modelUri}${version} is at ${event.location}${event.cached ? ', in the model cache' : ''}`;
    }
    case 'model-waiting':
      return `waiting for another mlf process that is downloading ${event.location}`;
    case 'model-download-started':
      return `downloading ${event.location} (${plural(event.files, 'file')}, ${formatSize(event.bytes)})`;
    case 'model-downloaded':
      return `downloaded ${plural(event.files, 'file')} (${formatSize(event.bytes)}) in ${formatElapsed(event.elapsedMs)}`;
    default:
      return undefined;
  }
}

/** The spinner's line while files download: files and bytes so far. */
export function describeDownloadProgress(event: Extract<ModelSourceEvent, { kind: 'model-download-progress' }>): string {
  return `downloading the model: ${event.filesDone}/${event.files} files, ${formatSize(event.bytesDone)} of ${formatSize(event.bytes)}`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function plainRenderer(ctx: CliContext, options: ProgressRenderOptions): ProgressRenderer {
  return {
    onModelEvent(event) {
      if (event.kind === 'model-warning') ctx.stderr.write(`${yellow(ctx, 'warning')}: ${event.message}\n`);
      const text = describeModelEvent(event, options.verbose);
      if (text) ctx.stderr.write(`${text}\n`);
    },
    onProgress(event) {
      if (event.kind === 'warning') ctx.stderr.write(`${yellow(ctx, 'warning')}: ${event.message}\n`);
      else if (event.kind === 'output') {
        if (options.verbose) ctx.stderr.write(`${event.line}\n`);
      } else {
        const text = describeEvent(event, options.verbose);
        if (text) ctx.stderr.write(`${text}\n`);
      }
    },
    stop: () => undefined,
  };
}

function spinnerRenderer(ctx: CliContext, options: ProgressRenderOptions): ProgressRenderer {
  let status: string | undefined;
  let since = Date.now();
  let frame = 0;
  let timer: NodeJS.Timeout | undefined;
  let drawn = false;
  const clear = () => {
    if (drawn) ctx.stderr.write('\r\u001b[2K');
    drawn = false;
  };
  const draw = () => {
    if (!status) return;
    frame = (frame + 1) % FRAMES.length;
    // One terminal line only: a wrapped line could not be cleared with \r.
    const elapsed = `(${formatElapsed(Date.now() - since)})`;
    const columns = (ctx.stderr as { columns?: number }).columns ?? 80;
    const room = Math.max(10, columns - elapsed.length - 4);
    const text = status.length > room ? `${status.slice(0, room - 1)}…` : status;
    ctx.stderr.write(`\r\u001b[2K${FRAMES[frame]} ${text} ${dim(ctx, elapsed)}`);
    drawn = true;
  };
  const above = (line: string) => {
    clear();
    ctx.stderr.write(`${line}\n`);
    draw();
  };
  const ensureTimer = () => {
    if (timer) return;
    timer = setInterval(draw, REDRAW_MS);
    timer.unref();
  };
  /** The spinner's phase is over: its line replaced by a done line. */
  const finish = (line: string | undefined) => {
    status = undefined;
    if (timer) clearInterval(timer);
    timer = undefined;
    clear();
    ctx.stderr.write(`${green(ctx, '✓')} ${line}\n`);
  };
  /** A new phase: the spinner shows it, timed from the start of the phase. */
  const begin = (text: string) => {
    status = text;
    since = Date.now();
    ensureTimer();
    draw();
  };
  return {
    onModelEvent(event) {
      if (event.kind === 'model-warning') return above(`${yellow(ctx, 'warning')}: ${event.message}`);
      if (event.kind === 'model-download-progress') {
        status = describeDownloadProgress(event);
        ensureTimer();
        return;
      }
      if (event.kind === 'model-downloaded') return finish(describeModelEvent(event));
      const text = describeModelEvent(event, options.verbose);
      if (!text) return;
      if (event.kind === 'model-resolved') return above(text);
      begin(text);
    },
    onProgress(event) {
      if (event.kind === 'warning') return above(`${yellow(ctx, 'warning')}: ${event.message}`);
      if (event.kind === 'output') {
        if (options.verbose) above(dim(ctx, event.line));
        return;
      }
      if (event.kind === 'built') return finish(describeEvent(event));
      const text = describeEvent(event, options.verbose);
      if (!text) return;
      if (event.kind === 'cache-hit' || event.kind === 'python-found' || event.kind === 'resolving-python') return above(text);
      begin(text);
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      status = undefined;
      clear();
    },
  };
}

/** batch-predict's progress on stderr (the environment's is createProgressRenderer's). */
export interface BatchProgressRenderer {
  onBatchProgress: (progress: BatchProgress) => void;
  /** Writes lines above the progress line (a warning), which is drawn again after them. */
  above: (write: () => void) => void;
  stop: () => void;
}

const PLAIN_EVERY_MS = 5_000;

/**
 * On a terminal, one line redrawn as parts complete; otherwise a plain line at the start, at most
 * every 5 s after, and at the end; nothing under --json or -q.
 */
export function createBatchProgressRenderer(ctx: CliContext, options: ProgressRenderOptions): BatchProgressRenderer {
  if (options.json || options.quiet) return { onBatchProgress: () => undefined, above: (write) => write(), stop: () => undefined };
  if (!ctx.stderrIsTTY) {
    let last = -Infinity;
    return {
      onBatchProgress(progress) {
        const now = Date.now();
        if (now - last < PLAIN_EVERY_MS && progress.partsDone < progress.partsTotal) return;
        last = now;
        ctx.stderr.write(`${describeBatchProgress(progress)}\n`);
      },
      above: (write) => write(),
      stop: () => undefined,
    };
  }
  let line: string | undefined;
  const clear = () => {
    if (line !== undefined) ctx.stderr.write('\r\u001b[2K');
  };
  const draw = () => {
    if (line === undefined) return;
    const columns = (ctx.stderr as { columns?: number }).columns ?? 80;
    ctx.stderr.write(`\r\u001b[2K${line.length > columns - 1 ? `${line.slice(0, columns - 2)}…` : line}`);
  };
  return {
    onBatchProgress(progress) {
      line = describeBatchProgress(progress);
      draw();
    },
    above(write) {
      clear();
      write();
      draw();
    },
    stop() {
      clear();
      line = undefined;
    },
  };
}

/** `scoring: 3/10 parts, 1200000/10000000 rows, 2 files, 250000 rows/s, ETA 35.0s`. */
export function describeBatchProgress(progress: BatchProgress): string {
  const parts = [`${progress.partsDone}/${progress.partsTotal} parts${progress.partsResumed > 0 ? ` (${progress.partsResumed} resumed)` : ''}`];
  parts.push(`${progress.rowsDone}${progress.rowsTotal !== undefined ? `/${progress.rowsTotal}` : ''} rows`);
  parts.push(plural(progress.files, 'file'));
  const seconds = progress.elapsedMs / 1000;
  const rowsNow = progress.rowsDone - progress.rowsResumed;
  const bytesNow = progress.bytesDone - progress.bytesResumed;
  if (seconds > 0 && rowsNow > 0) {
    parts.push(`${Math.round(rowsNow / seconds)} rows/s`);
    const left = progress.rowsTotal !== undefined ? (progress.rowsTotal - progress.rowsDone) / (rowsNow / seconds) : bytesNow > 0 ? (progress.bytesTotal - progress.bytesDone) / (bytesNow / seconds) : undefined;
    if (left !== undefined && progress.partsDone < progress.partsTotal) parts.push(`ETA ${formatElapsed(left * 1000)}`);
  }
  return `scoring: ${parts.join(', ')}`;
}
