import { execFileSync } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { canonicalJson, computeEnvKey, normalizeRequirementLine, shortKey, type EnvKeyInputs } from '../../src/env/cache-key.js';
import { queryInterpreter } from '../../src/env/python-discovery.js';

const base: EnvKeyInputs = {
  manager: 'uv',
  python: {
    version: '3.11.7',
    identity: { implementation: 'cpython', versionInfo: '3.11.7.final.0', abiFlags: '', soabi: 'cpython-311-x86_64-linux-gnu', platform: 'linux', machine: 'x86_64', bits: 64 },
  },
  buildDependencies: ['pip==24.0'],
  requirements: ['six==1.17.0', 'numpy>=1.0'],
  constraints: ['six<2'],
  override: [],
  installMlflow: false,
  platform: 'linux',
  arch: 'x64',
  workerVersion: '0.1.0',
};
const baseKey = computeEnvKey(base);
const baseInputs = base;

describe('computeEnvKey', () => {
  it('is a sha256 hex digest, and the short form is its first 16 digits', () => {
    expect(baseKey).toMatch(/^[0-9a-f]{64}$/);
    expect(shortKey(baseKey)).toBe(baseKey.slice(0, 16));
  });

  it.each<[string, Partial<EnvKeyInputs>]>([
    ['requirements reordered', { requirements: ['numpy>=1.0', 'six==1.17.0'] }],
    ['spaces around operators', { requirements: ['six == 1.17.0', 'numpy >= 1.0'] }],
    ['a duplicated line', { requirements: ['six==1.17.0', 'numpy>=1.0', 'six==1.17.0'] }],
    ['constraints with trailing spaces', { constraints: ['six<2  '] }],
    ['mlflowRequirement without installMlflow', { mlflowRequirement: 'mlflow==3.6.0' }],
    ['an empty list of extra requirements', { extraRequirements: [] }],
  ])('does not change for %s', (_label, change) => {
    expect(computeEnvKey({ ...base, ...change })).toBe(baseKey);
  });

  it.each<[string, Partial<EnvKeyInputs>]>([
    ['another manager', { manager: 'virtualenv' }],
    ['another Python version', { python: { ...base.python, version: '3.11.6' } }],
    ['a release candidate of the version', { python: { ...base.python, identity: { ...base.python.identity!, versionInfo: '3.11.7.candidate.1' } } }],
    ['a free-threaded build', { python: { ...base.python, identity: { ...base.python.identity!, abiFlags: 't', soabi: 'cpython-311t-x86_64-linux-gnu' } } }],
    ['another implementation', { python: { ...base.python, identity: { ...base.python.identity!, implementation: 'pypy' } } }],
    ['another machine', { python: { ...base.python, identity: { ...base.python.identity!, machine: 'aarch64' } } }],
    ['a 32-bit build', { python: { ...base.python, identity: { ...base.python.identity!, bits: 32 } } }],
    ['another build dependency', { buildDependencies: ['pip==23.0'] }],
    ['another requirement pin', { requirements: ['six==1.16.0', 'numpy>=1.0'] }],
    ['an added constraint', { constraints: ['six<2', 'numpy<3'] }],
    ['an override', { override: ['six==1.16.0'] }],
    ['an extra requirement', { extraRequirements: ['pyarrow'] }],
    ['install-mlflow', { installMlflow: true, mlflowRequirement: 'mlflow==3.6.0' }],
    ['another platform', { platform: 'darwin' }],
    ['another arch', { arch: 'arm64' }],
    ['another worker version', { workerVersion: '0.2.0' }],
    ['conda dependencies', { condaDependencies: ['python=3.11.7'] }],
  ])('changes for %s', (_label, change) => {
    expect(computeEnvKey({ ...base, ...change })).not.toBe(baseKey);
  });

  it('keeps the override order (a later entry wins)', () => {
    const a = computeEnvKey({ ...base, override: ['six==1.16.0', 'six==1.15.0'] });
    const b = computeEnvKey({ ...base, override: ['six==1.15.0', 'six==1.16.0'] });
    expect(a).not.toBe(b);
  });

  it('tells install-mlflow versions apart', () => {
    const a = computeEnvKey({ ...base, installMlflow: true, mlflowRequirement: 'mlflow==3.6.0' });
    const b = computeEnvKey({ ...base, installMlflow: true, mlflowRequirement: 'mlflow==3.5.0' });
    expect(a).not.toBe(b);
  });
});

describe('normalizeRequirementLine', () => {
  it.each([
    ['six == 1.17.0', 'six==1.17.0'],
    ['  numpy >=1.0 , <2 ', 'numpy>=1.0,<2'],
    ['pkg [extra] ~= 1.2', 'pkg[extra]~=1.2'],
    ['foo ; python_version < "3.8"', 'foo;python_version<"3.8"'],
    ['--index-url   https://host/simple', '--index-url https://host/simple'],
  ])('%s -> %s', (input, expected) => {
    expect(normalizeRequirementLine(input)).toBe(expected);
  });
});

describe('canonicalJson', () => {
  it('sorts keys at every level and drops undefined', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: 2 }], c: undefined } })).toBe('{"a":{"d":[2,{"y":2,"z":1}]},"b":1}');
  });
});

describe('the key of an interpreter found through a virtual environment', () => {
  const temps: string[] = [];
  afterAll(() => {
    for (const dir of temps) rmSync(dir, { recursive: true, force: true });
  });

  // A real python3 and a real venv made from it: the query script runs in both.
  it('is the key of its base interpreter: same path to build from, same identity', async () => {
    const python3 = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();
    const base = await queryInterpreter(python3, { env: process.env, cwd: tmpdir() });
    expect(base).toBeDefined();
    const dir = mkdtempSync(path.join(tmpdir(), 'mlf-venv-key-'));
    temps.push(dir);
    execFileSync('python3', ['-m', 'venv', '--without-pip', path.join(dir, 'venv')]);
    const venvPython = path.join(dir, 'venv', 'bin', 'python');
    const inVenv = await queryInterpreter(venvPython, { env: process.env, cwd: dir });
    expect(inVenv).toBeDefined();
    expect(inVenv!.path.startsWith(dir)).toBe(false);
    expect(realpathSync(inVenv!.path)).toBe(realpathSync(base!.path));
    expect(inVenv!.identity).toEqual(base!.identity);
    expect(inVenv!.identity).toMatchObject({ implementation: expect.any(String), versionInfo: expect.stringMatching(/^\d+\.\d+\.\d+\.\w+\.\d+$/), bits: expect.any(Number) });
    const keyOf = (info: NonNullable<typeof base>) => computeEnvKey({ ...baseInputs, python: { version: info.version, identity: info.identity! } });
    expect(keyOf(inVenv!)).toBe(keyOf(base!));
  });
});
