import { linkSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { captureContext } from './capture.js';

let home: string;
afterEach(() => rmSync(home, { recursive: true, force: true }));

/** One finished environment whose big file is a hard link into a stand-in for uv's cache. */
function cacheWithLinkedEnvironment(): string {
  home = mkdtempSync(path.join(tmpdir(), 'mlf-cli-envs-'));
  const cacheFile = path.join(home, 'uv-cache', 'big.so');
  mkdirSync(path.dirname(cacheFile), { recursive: true });
  writeFileSync(cacheFile, Buffer.alloc(3 * 1024 * 1024, 1));
  const envDir = path.join(home, 'envs-v1', 'uv-0123456789abcdef');
  mkdirSync(path.join(envDir, 'lib'), { recursive: true });
  linkSync(cacheFile, path.join(envDir, 'lib', 'big.so'));
  writeFileSync(path.join(envDir, 'mlf-env.json'), JSON.stringify({ schema: 1, key: '0123456789abcdef', manager: 'uv', pythonPath: path.join(envDir, 'bin', 'python'), pythonVersion: '3.11.7', lastUsed: new Date().toISOString(), modelDir: '/m' }));
  return envDir;
}

async function run(args: string[]) {
  const { ctx, stdout, stderr } = captureContext({ MLF_HOME: home });
  const code = await main(['node', 'mlf', ...args], { ctx });
  return { code, stdout: stdout(), stderr: stderr() };
}

describe('mlf envs list / prune sizes', () => {
  it('list says "on disk" and how much is not shared', async () => {
    cacheWithLinkedEnvironment();
    const listed = await run(['envs', 'list']);
    expect(listed.code).toBe(0);
    expect(listed.stdout.split('\n')[0]).toMatch(/^NAME +STATUS +PYTHON +ON DISK +NOT SHARED +LAST USED +MODEL$/);
    expect(listed.stdout).toMatch(/uv-0123456789abcdef +complete +3\.11\.7 +3\.0 MiB +[\d.]+ KiB /);
    expect(listed.stderr).toMatch(/^1 environment: 3\.0 MiB on disk \([\d.]+ KiB not shared with other files\); removing them all frees the part not shared\n$/);
  });

  it('prune does not claim to free what uv\'s cache still links', async () => {
    const envDir = cacheWithLinkedEnvironment();
    const pruned = await run(['envs', 'prune']);
    expect(pruned.code).toBe(0);
    expect(pruned.stdout).toMatch(new RegExp(`^removed ${envDir} \\(complete, 3\\.0 MiB on disk \\([\\d.]+ KiB not shared with other files\\)\\)\\n$`));
    expect(pruned.stderr).toMatch(/^removed 1 environment: 3\.0 MiB on disk, [\d.]+ KiB freed \(3\.0 MiB is still linked from uv's cache or another environment\)\n$/);
  });
});
