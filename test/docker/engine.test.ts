import { chmodSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { probeEngine } from '../../src/docker/engine.js';
import { tempDir } from '../support/temp.js';

/** A `docker` on PATH that answers `version` with the given versions and `buildx version` as told. */
function fakeDocker(client: string, server: string, buildx: boolean): Record<string, string> {
  const dir = tempDir('mlf-fake-docker-');
  const script = `#!/bin/sh
if [ "$1" = version ]; then echo '${server}|${client}'; exit 0; fi
if [ "$1" = buildx ]; then ${buildx ? "echo 'github.com/docker/buildx v0.17.1'; exit 0" : "echo 'unknown command: docker buildx' >&2; exit 1"}; fi
exit 2
`;
  writeFileSync(path.join(dir, 'docker'), script);
  chmodSync(path.join(dir, 'docker'), 0o755);
  return { PATH: `${dir}${path.delimiter}/usr/bin:/bin` };
}

describe('probeEngine chooses the builder', () => {
  it.each([
    ['a client with buildx', '28.2.2', '28.2.2', true, {}, 'buildx'],
    ["Debian's 20.10 client: its own BuildKit, no plugin", '20.10.24+dfsg1', '20.10.24+dfsg1', false, {}, 'builtin-buildkit'],
    ['a 23+ client without buildx: the legacy builder', '28.2.2', '20.10.24+dfsg1', false, {}, 'legacy'],
    ['a 20.10 client on an older engine (no RUN --mount in its frontend)', '20.10.24', '19.03.15', false, {}, 'legacy'],
    ['DOCKER_BUILDKIT=0, whatever is installed', '28.2.2', '28.2.2', true, { DOCKER_BUILDKIT: '0' }, 'legacy'],
  ] as const)('%s', async (_case, client, server, buildx, extra, builder) => {
    const facts = await probeEngine({ env: { ...fakeDocker(client, server, buildx), ...extra }, cwd: process.cwd() });
    expect(facts).toEqual({ serverVersion: server, clientVersion: client, builder });
  });
});
