/**
 * A package index on 127.0.0.1 for tests that must not depend on the internet: a directory in
 * PEP 503's simple layout (`simple/<name>/index.html` linking to wheel files), served by
 * `python -m http.server`. The wheels are written here (a few modules each, a correct RECORD),
 * so that what the index has is exactly what the test says.
 */
import { execa, type ResultPromise } from 'execa';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface WheelSpec {
  /** Distribution name as written in METADATA, e.g. `goodpkg`. */
  name: string;
  version: string;
  /** Files inside the wheel besides its metadata, e.g. `{ 'goodpkg/__init__.py': '' }`. */
  files: Record<string, string>;
}

export interface LocalIndex {
  /** `http://127.0.0.1:PORT/simple` */
  url: string;
  root: string;
  close(): Promise<void>;
}

/** Writes the wheels with `python` (zipfile, hashlib) and serves them. */
export async function startLocalIndex(python: string, wheels: WheelSpec[]): Promise<LocalIndex> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'mlf-local-index-'));
  const filesDir = path.join(root, 'files');
  mkdirSync(filesDir, { recursive: true });
  const byName = new Map<string, string[]>();
  for (const wheel of wheels) {
    const normalized = wheel.name.replace(/[-_.]+/g, '-').toLowerCase();
    const fileName = `${wheel.name.replace(/[-.]+/g, '_')}-${wheel.version}-py3-none-any.whl`;
    await execa(python, ['-c', WHEEL_WRITER, path.join(filesDir, fileName), JSON.stringify(wheel)]);
    byName.set(normalized, [...(byName.get(normalized) ?? []), fileName]);
  }
  const simple = path.join(root, 'simple');
  mkdirSync(simple, { recursive: true });
  writeFileSync(path.join(simple, 'index.html'), `<!DOCTYPE html><html><body>${[...byName.keys()].map((n) => `<a href="${n}/">${n}</a>`).join('')}</body></html>`);
  for (const [name, files] of byName) {
    mkdirSync(path.join(simple, name), { recursive: true });
    writeFileSync(path.join(simple, name, 'index.html'), `<!DOCTYPE html><html><body>${files.map((f) => `<a href="../../files/${f}">${f}</a>`).join('')}</body></html>`);
  }
  const server: ResultPromise = execa(python, ['-u', '-m', 'http.server', '0', '--bind', '127.0.0.1', '--directory', root], { reject: false, buffer: false });
  const port = await new Promise<number>((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`http.server did not start: ${seen}`)), 15_000);
    server.stdout!.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      const match = /port (\d+)/.exec(seen);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
  });
  return {
    url: `http://127.0.0.1:${port}/simple`,
    root,
    async close() {
      server.kill();
      await server.catch(() => undefined);
      rmSync(root, { recursive: true, force: true });
    },
  };
}

const WHEEL_WRITER = `
import base64, hashlib, json, sys, zipfile
target, spec = sys.argv[1], json.loads(sys.argv[2])
dist_info = "%s-%s.dist-info" % (spec["name"].replace("-", "_"), spec["version"])
files = dict(spec["files"])
files[dist_info + "/METADATA"] = "Metadata-Version: 2.1\\nName: %s\\nVersion: %s\\n" % (spec["name"], spec["version"])
files[dist_info + "/WHEEL"] = "Wheel-Version: 1.0\\nGenerator: mlf-tests\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n"
record = []
for name, text in files.items():
    data = text.encode()
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    record.append("%s,sha256=%s,%d" % (name, digest, len(data)))
record.append(dist_info + "/RECORD,,")
files[dist_info + "/RECORD"] = "\\n".join(record) + "\\n"
with zipfile.ZipFile(target, "w") as z:
    for name, text in files.items():
        z.writestr(name, text)
`;
