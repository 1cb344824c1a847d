import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { tempDir } from '../support/temp.js';
import { captureContext } from './capture.js';

async function run(args: string[]) {
  const { ctx, stdout, stderr } = captureContext({ MLF_HOME: tempDir('mlf-cli-serve-') });
  const code = await main(['node', 'mlf', 'models', 'serve', '-m', 'fixtures/models/sklearn-iris', ...args], { ctx });
  return { code, stdout: stdout(), stderr: stderr() };
}

describe('mlf models serve: flags', () => {
  it.each([
    [['-w', '0'], 'error: invalid value `0` for --workers: give a whole number from 1 to 1024'],
    [['-p', '70000'], 'error: invalid value `70000` for --port: give a whole number from 0 to 65535'],
    [['-t', '0'], 'error: invalid value `0` for --timeout: give a positive number'],
    [['--max-queue', '-1'], 'error: invalid value `-1` for --max-queue: give a whole number from 0 to 1000000'],
    [['--protocol', 'mlflow,grpc'], 'error: invalid value `grpc` for --protocol: choose from `mlflow`, `v2`'],
    [['--runtime', 'fast'], 'error: invalid value `fast` for --runtime: choose one of `auto`, `mlflow`'],
  ])('%j is a usage error (exit 2)', async (args, line) => {
    const result = await run(args);
    expect(result.code).toBe(2);
    expect(result.stderr.split('\n')[0]).toBe(line);
    expect(result.stdout).toBe('');
  });

  it('-h is the host and --help the help, as in MLflow', async () => {
    const { ctx, stdout } = captureContext();
    expect(await main(['node', 'mlf', 'models', 'serve', '--help'], { ctx })).toBe(0);
    expect(stdout()).toContain('-h, --host <HOST>');
    expect(stdout()).toContain('--help ');
  });
});
