/**
 * A loopback HTTP server for unit tests of the tracking client and what is built on it: each
 * request, with its body read, goes to the handler, and is recorded. `stopHttpStubs` (in an
 * afterEach) closes every stub the test file made.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SeenRequest {
  method: string;
  url: string;
  authorization?: string;
  body: string;
}

export type StubHandler = (req: http.IncomingMessage, res: http.ServerResponse, seen: SeenRequest, index: number) => void;

const stubs: http.Server[] = [];

export async function startHttpStub(
  handler: StubHandler,
  make: (listener: http.RequestListener) => http.Server = (listener) => http.createServer(listener),
): Promise<{ port: number; url: string; seen: SeenRequest[]; server: http.Server }> {
  const seen: SeenRequest[] = [];
  const server = make((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const entry = { method: req.method!, url: req.url!, authorization: req.headers.authorization, body: Buffer.concat(chunks).toString() };
      seen.push(entry);
      handler(req, res, entry, seen.length - 1);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  stubs.push(server);
  const port = (server.address() as AddressInfo).port;
  return { port, url: `http://127.0.0.1:${port}`, seen, server };
}

export async function stopHttpStubs(): Promise<void> {
  await Promise.all(
    stubs.splice(0).map(
      (server) =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    ),
  );
}

export function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}
