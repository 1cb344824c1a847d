import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LABELS, renderDockerfile, UV_VERSION, type DockerfileSpec } from '../../src/docker/dockerfile.js';
import { repoRoot } from '../support/cli.js';

const spec: DockerfileSpec = {
  baseImage: 'python:3.11.7-slim',
  nodeImage: 'node:20-bookworm-slim',
  envManager: 'uv',
  pythonVersion: '3.11.7',
  buildDependencies: ['pip==26.3', 'setuptools>=40,<80'],
  hasRequirements: true,
  hasConstraints: false,
  requireHashes: false,
  systemPackages: [],
  buildkit: false,
  protocol: 'mlflow,v2',
  labels: [
    [LABELS.modelUri, 'models:/iris/1'],
    [LABELS.pythonVersion, '3.11.7'],
  ],
};

/** The instructions of a Dockerfile (continuation lines joined), comments and blank lines left out. */
function instructions(text: string): string[] {
  return text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .filter((l) => l.trim() && !l.startsWith('#'));
}

const indexOf = (lines: string[], prefix: string) => lines.findIndex((l) => l.startsWith(prefix));

describe('renderDockerfile', () => {
  it('orders the final stage: system packages, the environment, node, mlf, the model, then labels', () => {
    const lines = instructions(renderDockerfile({ ...spec, systemPackages: ['libgomp1'] }));
    const final = lines.slice(lines.lastIndexOf('FROM ${BASE_IMAGE}'));
    const order = ['RUN apt-get update', 'RUN useradd', 'COPY --from=environment /opt/venv', 'COPY --from=node', 'COPY mlf/', 'COPY model_dir/', 'ENTRYPOINT', 'LABEL'].map((p) => indexOf(final, p));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it('builds the environment in its own stage from the requirement files only, before any model file', () => {
    const lines = instructions(renderDockerfile(spec));
    const stage = lines.slice(indexOf(lines, 'FROM ${BASE_IMAGE} AS environment'), lines.lastIndexOf('FROM ${BASE_IMAGE}'));
    expect(stage.filter((l) => l.startsWith('COPY'))).toEqual(['COPY requirements/ /opt/mlf-requirements/']);
    const install = stage.find((l) => l.startsWith('RUN python3 -m venv /opt/uv'))!;
    expect(install).toContain(`uv==${UV_VERSION}`);
    expect(install).toContain("pip==26.3 'setuptools>=40,<80'");
    expect(install).toContain('-r /opt/mlf-requirements/requirements.txt');
    expect(install).toContain('rm -rf /opt/uv');
    expect(install).toContain("find /opt/venv/lib -depth -type d -path '*/site-packages/*' -name tests -exec rm -rf {} +");
  });

  it('without BuildKit, turns the caches off; with it, mounts them', () => {
    const plain = renderDockerfile(spec);
    expect(plain).not.toContain('--mount=');
    expect(plain).toContain('pip install --no-cache-dir');
    expect(plain).toContain('uv venv --no-cache');
    const buildkit = renderDockerfile({ ...spec, buildkit: true });
    expect(buildkit).toContain('RUN --mount=type=cache,target=/root/.cache/pip --mount=type=cache,target=/root/.cache/uv --mount=type=secret,id=mlf-index --mount=type=secret,id=netrc ');
    expect(buildkit).not.toContain('--no-cache');
  });

  it.each(['uv', 'virtualenv', 'local'] as const)('%s, BuildKit form: the install RUN alone mounts the index secrets and reads them before anything installs', (envManager) => {
    const lines = instructions(renderDockerfile({ ...spec, envManager, buildkit: true }));
    const withSecrets = lines.filter((l) => l.includes('--mount=type=secret'));
    expect(withSecrets).toHaveLength(1);
    const install = withSecrets[0]!;
    expect(install).toContain('--mount=type=secret,id=mlf-index --mount=type=secret,id=netrc');
    const read = install.indexOf('if [ -f /run/secrets/mlf-index ]; then . /run/secrets/mlf-index; fi');
    const netrc = install.indexOf('if [ -f /run/secrets/netrc ]; then export NETRC=/run/secrets/netrc; fi');
    expect(read).toBeGreaterThan(0);
    expect(netrc).toBeGreaterThan(read);
    expect(install.indexOf(' install ')).toBeGreaterThan(netrc);
    // Nothing of the index is an ARG or ENV (those are kept in the image's config and history).
    expect(lines.filter((l) => /^(ARG|ENV)\b/.test(l) && /INDEX|NETRC/.test(l))).toEqual([]);
    expect(renderDockerfile({ ...spec, envManager })).not.toContain('/run/secrets');
  });

  it('passes --require-hashes and the constraints when the requirements are locked', () => {
    const text = renderDockerfile({ ...spec, requireHashes: true, hasConstraints: true, buildDependencies: [] });
    expect(text).toContain('uv pip install --no-cache --python /opt/venv/bin/python --require-hashes -r /opt/mlf-requirements/requirements.txt -c /opt/mlf-requirements/constraints.txt');
  });

  it('runs as a non-root user, exposes 8080, checks /ping and execs mlf models serve', () => {
    const lines = instructions(renderDockerfile(spec));
    expect(lines).toContain('USER 10001:10001');
    expect(lines).toContain('EXPOSE 8080');
    expect(lines.find((l) => l.startsWith('HEALTHCHECK'))).toContain('CMD ["node", "/opt/mlf/bin/mlf-healthcheck.mjs"]');
    const entrypoint = JSON.parse(lines.find((l) => l.startsWith('ENTRYPOINT'))!.slice('ENTRYPOINT '.length)) as string[];
    expect(entrypoint[0]).toBe('/bin/sh');
    expect(entrypoint[2]).toMatch(/^exec node \/opt\/mlf\/bin\/mlf\.js models serve -m \/opt\/ml\/model --env-manager local /);
    expect(entrypoint[2]).toContain('--workers "$MLFLOW_MODELS_WORKERS"');
    expect(lines.find((l) => l.startsWith('ENV PATH='))).toContain('MLFLOW_MODELS_WORKERS=1');
  });

  it('labels the image last, with the values quoted', () => {
    expect(renderDockerfile(spec).endsWith('LABEL org.mlflow.model.uri="models:/iris/1" \\\n      org.mlflow.model.python-version="3.11.7"\n')).toBe(true);
  });

  it('with --env-manager local, installs into the base image\'s Python in the final stage', () => {
    const text = renderDockerfile({ ...spec, envManager: 'local' });
    expect(text).not.toContain('AS environment');
    expect(text).toContain('python3 -m pip install --no-cache-dir --disable-pip-version-check -r /opt/mlf-requirements/requirements.txt');
    expect(text).not.toContain('PATH=/opt/venv');
  });

  it('with virtualenv, makes a venv and installs with its pip', () => {
    const text = renderDockerfile({ ...spec, envManager: 'virtualenv' });
    expect(text).toContain('RUN python3 -m venv /opt/venv \\\n && /opt/venv/bin/python -m pip install --no-cache-dir');
  });

  it('with conda, creates the environment from conda.yaml into the prefix the final stage copies, and checks its Python', () => {
    const text = renderDockerfile({ ...spec, envManager: 'conda', condaPython: '3.11.7' });
    const lines = instructions(text);
    const stage = lines.slice(indexOf(lines, 'FROM ${BASE_IMAGE} AS environment'), lines.lastIndexOf('FROM ${BASE_IMAGE}'));
    expect(stage.filter((l) => l.startsWith('RUN'))).toHaveLength(1);
    const install = stage.find((l) => l.startsWith('RUN'))!;
    expect(install).toMatch(/^RUN conda env create --file \/opt\/mlf-requirements\/conda\.yaml --prefix \/opt\/venv +&& \/opt\/venv\/bin\/python -c /);
    expect(install).toContain('(v.major, v.minor) == (3, 11)');
    // The base image's python3 is not the environment's: it is not checked, and no uv or venv is made.
    expect(stage.some((l) => l.startsWith('RUN python3'))).toBe(false);
    expect(text).not.toContain('uv==');
    expect(stage).toContain('ENV PIP_NO_CACHE_DIR=1');
    expect(lines).toContain('COPY --from=environment /opt/venv /opt/venv');
    const kit = renderDockerfile({ ...spec, envManager: 'conda', buildkit: true });
    expect(kit).toContain('RUN --mount=type=cache,target=/root/.cache/pip --mount=type=secret,id=mlf-index --mount=type=secret,id=netrc if [ -f /run/secrets/mlf-index ]');
    expect(kit).not.toContain('PIP_NO_CACHE_DIR');
    expect(kit).not.toContain('(v.major, v.minor)');
  });

  it('checks that the base image has the model\'s major.minor Python', () => {
    expect(renderDockerfile({ ...spec, pythonVersion: '3.12.1' })).toContain('(v.major, v.minor) == (3, 12)');
  });

  it("pins the uv that .ci/python-tools.lock pins", () => {
    const lock = readFileSync(path.join(repoRoot, '.ci', 'python-tools.lock'), 'utf8');
    expect(/^uv==(\S+)/m.exec(lock)?.[1]).toBe(UV_VERSION);
  });
});
