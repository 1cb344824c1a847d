import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bootstrappedUvPath, selectManager } from '../../src/env/select-manager.js';
import type { ProgressEventInput } from '../../src/env/types.js';
import { MlfError } from '../../src/errors.js';
import { fakeBin, tempDir } from './helpers.js';


function installFakeUv(target: string): Promise<void> {
  mkdirSync(path.join(target, 'bin'), { recursive: true });
  writeFileSync(path.join(target, 'bin', 'uv'), '#!/bin/sh\n');
  chmodSync(path.join(target, 'bin', 'uv'), 0o755);
  return Promise.resolve();
}

describe('selectManager', () => {
  it('uses uv from PATH by default', async () => {
    const bin = fakeBin(['uv']);
    const choice = await selectManager({ env: { PATH: bin }, cwd: '/', mlfHome: tempDir(), emit: () => undefined });
    expect(choice).toEqual({ manager: 'uv', uvPath: path.join(bin, 'uv') });
  });

  it('keeps an explicit non-uv manager', async () => {
    const bin = fakeBin(['uv']);
    expect(await selectManager({ requested: 'virtualenv', env: { PATH: bin }, cwd: '/', mlfHome: tempDir(), emit: () => undefined })).toEqual({
      manager: 'virtualenv',
    });
  });

  it('installs uv into $MLF_HOME when it is not on PATH, saying so, and reuses it next time', async () => {
    const mlfHome = tempDir();
    const events: ProgressEventInput[] = [];
    let installs = 0;
    const options = {
      env: { PATH: tempDir() },
      cwd: '/',
      mlfHome,
      emit: (e: ProgressEventInput) => events.push(e),
      installUv: (target: string) => {
        installs++;
        return installFakeUv(target);
      },
    };
    expect(await selectManager(options)).toEqual({ manager: 'uv', uvPath: bootstrappedUvPath(mlfHome) });
    expect(events).toEqual([{ kind: 'warning', message: `uv was not found on PATH; installing it into \`${path.join(mlfHome, 'tools-v1', 'uv')}\` with pip` }]);
    expect(await selectManager(options)).toEqual({ manager: 'uv', uvPath: bootstrappedUvPath(mlfHome) });
    expect(installs).toBe(1);
  });

  it('falls back to virtualenv, saying so, when uv cannot be installed', async () => {
    const events: ProgressEventInput[] = [];
    const choice = await selectManager({
      env: { PATH: tempDir() },
      cwd: '/',
      mlfHome: tempDir(),
      emit: (e) => events.push(e),
      installUv: () => Promise.reject(new Error('no network')),
    });
    expect(choice).toEqual({ manager: 'virtualenv' });
    expect(events.map((e) => (e.kind === 'warning' ? e.message : e.kind))).toEqual([
      expect.stringMatching(/^uv was not found on PATH; installing it into/),
      'uv could not be installed (no network); using virtualenv instead',
    ]);
  });

  it('fails with exit 3 when uv was asked for and cannot be had', async () => {
    const error = await selectManager({
      requested: 'uv',
      env: { PATH: tempDir() },
      cwd: '/',
      mlfHome: tempDir(),
      emit: () => undefined,
      installUv: () => Promise.reject(new Error('no network')),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MlfError);
    expect((error as MlfError).message).toBe('--env-manager uv needs uv, which is not on PATH and could not be installed: no network');
    expect((error as MlfError).exitCode).toBe(3);
  });
});
