import { describe, expect, it } from 'vitest';
import { parsePackManifest, requirementsDigest, serializePackManifest, type PackManifest } from '../../../src/env/pack/manifest.js';

const manifest: PackManifest = {
  format: 'mlf-pack',
  format_version: 1,
  mlf_version: '0.1.0',
  env_manager: 'uv',
  python: 'bin/python',
  worker: 'mlf-worker',
  worker_launcher: 'mlf-worker/worker.py',
  python_version: '3.11.7',
  platform: 'linux_x86_64',
  glibc: '2.36',
  base_interpreter: { path: '/usr/bin/python3.11', search: 'python3.11', implementation: 'cpython', version: '3.11.7' },
  requirements_digest: requirementsDigest(['scikit-learn==1.9.1', 'numpy==2.4.6']),
  requirements: ['scikit-learn==1.9.1', 'numpy==2.4.6'],
  extra_requirements: [],
  env_key: 'a'.repeat(64),
};

describe('requirementsDigest', () => {
  it('is a sha256 of the lines that ignores their order, duplicates and spacing', () => {
    const digest = requirementsDigest(['numpy==2.4.6', 'scikit-learn==1.9.1']);
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(requirementsDigest(['scikit-learn == 1.9.1', 'numpy==2.4.6', 'numpy==2.4.6'])).toBe(digest);
    expect(requirementsDigest(['numpy==2.4.5', 'scikit-learn==1.9.1'])).not.toBe(digest);
  });
});

describe('serializePackManifest / parsePackManifest', () => {
  it('round-trips, with keys in the schema’s order and a final newline', () => {
    const text = serializePackManifest({ ...manifest, env_key: manifest.env_key } as PackManifest);
    expect(text.endsWith('}\n')).toBe(true);
    expect(Object.keys(JSON.parse(text))).toEqual(Object.keys(manifest));
    expect(parsePackManifest(text)).toEqual(manifest);
  });

  it('refuses another format or version, and a missing field', () => {
    expect(() => parsePackManifest(JSON.stringify({ ...manifest, format: 'conda-pack' }))).toThrow();
    expect(() => parsePackManifest(JSON.stringify({ ...manifest, format_version: 2 }))).toThrow();
    const { worker: _worker, ...partial } = manifest;
    expect(() => parsePackManifest(JSON.stringify(partial))).toThrow();
  });
});
