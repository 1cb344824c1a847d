import { mkdirSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bucketDir } from '../../src/config/cache-layout.js';
import { prepareEnvironment } from '../../src/env/prepare.js';
import type { EnvRequest } from '../../src/env/types.js';
import { MlfError } from '../../src/errors.js';
import { readModel, tempDir, writeModel } from './helpers.js';

/** The local manager against the machine's real python3 (its installed packages are known: pip is). */

async function request(modelDir: string, extra: Partial<EnvRequest> = {}): Promise<EnvRequest> {
  return { model: await readModel(modelDir), manager: 'local', env: { ...process.env, MLF_HOME: tempDir() }, cwd: tempDir(), ...extra };
}

describe('local manager', () => {
  it('uses python3 from PATH as it is, and warns about requirements it does not satisfy', async () => {
    const modelDir = writeModel(path.join(tempDir(), 'model'), {
      requirements: 'pip>=1\npip==0.0.1\nmlf-surely-not-installed-pkg==1.0\nnot-relevant-here==1 ; sys_platform == "nonexistent"\n',
    });
    const prepared = await prepareEnvironment(await request(modelDir));
    expect(prepared).toMatchObject({ manager: 'local', key: 'local', built: false });
    expect(prepared.pythonPath).toMatch(/python3?(\.\d+)?$/);
    expect(prepared.warnings).toHaveLength(1);
    expect(prepared.warnings[0]).toMatch(
      new RegExp(
        '^the local Python `.+` does not satisfy the model\'s requirements: `pip==0\\.0\\.1` \\(installed: `[\\d.]+`\\), `mlf-surely-not-installed-pkg==1\\.0` \\(not installed\\)$',
      ),
    );
  });

  it('says nothing when the requirements are satisfied', async () => {
    const modelDir = writeModel(path.join(tempDir(), 'model'), { requirements: 'pip\n' });
    expect((await prepareEnvironment(await request(modelDir))).warnings).toEqual([]);
  });

  it('keeps the interpreter query in MLF_HOME: the next run asks the cache, not the interpreter', async () => {
    const modelDir = writeModel(path.join(tempDir(), 'model'), { requirements: 'pip\n' });
    const req = await request(modelDir);
    const first = await prepareEnvironment(req);
    const cacheDir = bucketDir(String(req.env.MLF_HOME), 'interpreters');
    const cached = readdirSync(cacheDir);
    expect(cached).toHaveLength(1);
    const again = await prepareEnvironment(req);
    expect({ pythonPath: again.pythonPath, pythonVersion: again.pythonVersion }).toEqual({ pythonPath: first.pythonPath, pythonVersion: first.pythonVersion });
    expect(readdirSync(cacheDir)).toEqual(cached);
  });

  it('keeps the requirement check in MLF_HOME while the sys.path directories are unchanged, and asks again once one changes', async () => {
    // A sys.path directory of the test's own (PYTHONPATH) holding one distribution's metadata.
    const site = tempDir();
    const distInfo = (version: string) => path.join(site, `mlf_fake_dist-${version}.dist-info`);
    const writeDist = (version: string) => {
      mkdirSync(distInfo(version));
      writeFileSync(path.join(distInfo(version), 'METADATA'), `Metadata-Version: 2.1\nName: mlf-fake-dist\nVersion: ${version}\n`);
    };
    writeDist('1.0');
    const modelDir = writeModel(path.join(tempDir(), 'model'), { requirements: 'mlf-fake-dist==2.0\n' });
    const req = await request(modelDir);
    req.env = { ...req.env, PYTHONPATH: site };
    const warning = (version: string) => expect.stringMatching(new RegExp(`\`mlf-fake-dist==2\\.0\` \\(installed: \`${version.replace('.', '\\.')}\`\\)$`));
    expect((await prepareEnvironment(req)).warnings).toEqual([warning('1.0')]);
    expect(readdirSync(bucketDir(String(req.env.MLF_HOME), 'localChecks'))).toHaveLength(1);

    // Metadata rewritten in place leaves the directory's mtime alone: the cached answer stands
    // (the one case local-check-cache.ts names that it cannot see; here it shows the cache is read).
    writeFileSync(path.join(distInfo('1.0'), 'METADATA'), 'Metadata-Version: 2.1\nName: mlf-fake-dist\nVersion: 1.5\n');
    expect((await prepareEnvironment(req)).warnings).toEqual([warning('1.0')]);

    // An upgrade as pip and uv do it (the old .dist-info removed, a new one written) changes the
    // directory: the interpreter is asked again.
    await new Promise((resolve) => setTimeout(resolve, 20));
    renameSync(distInfo('1.0'), path.join(tempDir(), 'removed.dist-info'));
    writeDist('2.0');
    expect((await prepareEnvironment(req)).warnings).toEqual([]);

    // Another PYTHONPATH is another sys.path: not the cached answer.
    const otherSite = tempDir();
    expect((await prepareEnvironment({ ...req, env: { ...req.env, PYTHONPATH: otherSite } })).warnings).toEqual([
      expect.stringMatching(/`mlf-fake-dist==2\.0` \(not installed\)$/),
    ]);
  });

  it('rejects --pip-requirements-override, as MLflow does (exit 2)', async () => {
    const modelDir = writeModel(path.join(tempDir(), 'model'));
    const error = (await prepareEnvironment(await request(modelDir, { pipRequirementsOverride: ['six==1.17.0'] })).catch((e: unknown) => e)) as MlfError;
    expect(error).toBeInstanceOf(MlfError);
    expect(error.message).toBe('--pip-requirements-override cannot be used with `--env-manager local`: nothing is installed into the local Python');
    expect(error.exitCode).toBe(2);
  });
});
