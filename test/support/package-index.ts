/**
 * A tiny PEP 503 package index on 127.0.0.1 that serves one pure-Python wheel made here, and only
 * to a client that sends the expected Basic credentials (401 without any, 403 with others): the
 * index behind a token that `build-docker --extra-index-url` / `--netrc` must reach through BuildKit
 * secrets, and whose token must then be found in no layer of the image. Every other project is a
 * 404, so that uv and pip go on to their next index.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

export interface PackageIndex {
  /** The index URL without credentials, e.g. http://127.0.0.1:PORT/simple/ */
  url: string;
  port: number;
  /** The distribution it serves (normalized name) and its import name. */
  project: string;
  module: string;
  /** Each request: its path and whether it carried the expected credentials. */
  requests: { path: string; authorized: boolean }[];
  stop(): Promise<void>;
}

/** A wheel of `module` (version 1.0) written into `dir` with `python`; returns its path. */
function makeWheel(python: string, module: string, dir: string): string {
  const script = `
import base64, hashlib, sys, zipfile
module, out = sys.argv[1], sys.argv[2]
name = module.replace("_", "-")
info = f"{module}-1.0.dist-info"
files = {
    f"{module}/__init__.py": "VALUE = 1\\n",
    f"{info}/METADATA": f"Metadata-Version: 2.1\\nName: {name}\\nVersion: 1.0\\n",
    f"{info}/WHEEL": "Wheel-Version: 1.0\\nGenerator: mlf-test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n",
}
record = [f"{p},sha256={base64.urlsafe_b64encode(hashlib.sha256(t.encode()).digest()).rstrip(b'=').decode()},{len(t.encode())}" for p, t in files.items()]
files[f"{info}/RECORD"] = "\\n".join(record + [f"{info}/RECORD,,"]) + "\\n"
with zipfile.ZipFile(out, "w") as z:
    for p, t in files.items():
        z.writestr(p, t)
`;
  const wheel = path.join(dir, `${module}-1.0-py3-none-any.whl`);
  execFileSync(python, ['-c', script, module, wheel]);
  return wheel;
}

export async function startPackageIndex(options: { python: string; module: string; user: string; token: string; dir: string }): Promise<PackageIndex> {
  const wheel = makeWheel(options.python, options.module, options.dir);
  const bytes = readFileSync(wheel);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const project = options.module.replace(/_/g, '-');
  const fileName = path.basename(wheel);
  const expected = `Basic ${Buffer.from(`${options.user}:${options.token}`).toString('base64')}`;
  const requests: PackageIndex['requests'] = [];
  const server = http.createServer((req, res) => {
    const url = req.url ?? '/';
    const authorized = req.headers.authorization === expected;
    requests.push({ path: url, authorized });
    if (!req.headers.authorization) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="mlf-test-index"' }).end();
      return;
    }
    if (!authorized) {
      res.writeHead(403).end();
      return;
    }
    if (url === `/simple/${project}/` || url === `/simple/${project}`) {
      res.writeHead(200, { 'Content-Type': 'text/html' }).end(`<!DOCTYPE html><html><body><a href="/files/${fileName}#sha256=${sha256}">${fileName}</a></body></html>\n`);
    } else if (url === `/files/${fileName}`) {
      res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': bytes.length }).end(bytes);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/simple/`,
    port,
    project,
    module: options.module,
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
