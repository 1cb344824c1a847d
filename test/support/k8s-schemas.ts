import { execa } from 'execa';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from './cli.js';

/** The Kubernetes versions every generated manifest is checked against: the oldest and newest kubernetes-validate bundles that matter here. */
export const K8S_VERSIONS = ['1.30.0', '1.37.0'];

/** The Python with kubernetes-validate and kserve's SDK (.ci/run creates it from test/e2e/k8s-schemas.lock). */
export function k8sSchemaPython(): string | undefined {
  const candidate = process.env.MLF_E2E_K8S_PYTHON ?? path.join(repoRoot, '.e2e', 'k8s-schemas', 'bin', 'python');
  return existsSync(candidate) ? candidate : undefined;
}

export interface ManifestCheck {
  file: string;
  kind: string | null;
  checked_against: string[];
  errors: string[];
}

/** Every file checked strictly, in one Python process (test/k8s/check_manifests.py says against what). */
export async function checkManifests(python: string, files: string[]): Promise<ManifestCheck[]> {
  const result = await execa(python, [path.join(repoRoot, 'test/k8s/check_manifests.py'), K8S_VERSIONS.join(','), ...files], { reject: false, timeout: 120_000 });
  if (result.exitCode !== 0) throw new Error(`check_manifests.py failed (${result.exitCode}): ${String(result.stderr).slice(-2000)}`);
  return (JSON.parse(String(result.stdout)) as { results: ManifestCheck[] }).results;
}
