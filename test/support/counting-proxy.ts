/**
 * An HTTP proxy on 127.0.0.1 in front of a test server: it counts the requests that pass, and can
 * be told to cut the answers of artifact downloads midway (headers and part of the body, then the
 * connection dropped), as a client sees a server killed in the middle of a download. It can also
 * hold a download (stop reading it from the server) so that a test kills the real server while
 * the download is in flight; an answer that ends short upstream is cut short downstream too.
 * And it can refuse chosen requests (a 500 of its own), as a store failing one upload part.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CountingProxy {
  url: string;
  /** `METHOD path?query` of every request so far. */
  requests: string[];
  /** While true, artifact file downloads stop after `cutAfterBytes` bytes. */
  cutDownloads: boolean;
  cutAfterBytes: number;
  /**
   * Holds the next artifact file download once it has passed this many bytes: the proxy stops
   * reading it (what the server has not yet sent stays unsent) and resolves the promise
   * `holdDownload` returned; `release()` reads on. Only one download is held per call.
   */
  holdDownload(afterBytes: number): Promise<{ release(): void }>;
  /** Requests whose `METHOD path?query` matches are answered 500 here and never reach the server. */
  refuse: RegExp | undefined;
  close(): Promise<void>;
}

const FILE_DOWNLOAD = /^\/api\/2\.0\/mlflow-artifacts\/artifacts\/./;

export async function startCountingProxy(target: string): Promise<CountingProxy> {
  const upstream = new URL(target);
  const sockets = new Set<import('node:net').Socket>();
  let hold: { afterBytes: number; held(release: () => void): void } | undefined;
  const proxy: CountingProxy = {
    url: '',
    requests: [],
    cutDownloads: false,
    cutAfterBytes: 1024,
    holdDownload: (afterBytes) => new Promise((resolve) => (hold = { afterBytes, held: (release) => resolve({ release }) })),
    refuse: undefined,
    close: async () => undefined,
  };
  const server = http.createServer((req, res) => {
    proxy.requests.push(`${req.method} ${req.url}`);
    if (proxy.refuse?.test(`${req.method} ${req.url}`)) {
      req.resume();
      res.writeHead(500, { 'content-type': 'text/plain' }).end('refused by the test proxy');
      return;
    }
    const isDownload = req.method === 'GET' && FILE_DOWNLOAD.test(req.url ?? '');
    const cut = proxy.cutDownloads && isDownload;
    const forward = http.request(
      // A new upstream connection per request: a kept-alive one that uvicorn closes after 5 idle
      // seconds could be reused at that moment and look like a server failure.
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host }, agent: false },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        // Ended short upstream (the server died): the client must see a cut, not a short complete answer.
        answer.on('close', () => {
          if (!answer.complete) res.socket?.destroy();
        });
        if (!cut) {
          if (hold && isDownload) watchForHold(answer, res);
          answer.pipe(res);
          return;
        }
        let sent = 0;
        answer.on('data', (chunk: Buffer) => {
          if (sent >= proxy.cutAfterBytes) return;
          const part = chunk.subarray(0, proxy.cutAfterBytes - sent);
          sent += part.length;
          res.write(part, () => {
            if (sent >= proxy.cutAfterBytes) res.socket?.destroy();
          });
        });
        answer.on('end', () => res.socket?.destroy());
      },
    );
    forward.on('error', () => res.socket?.destroy());
    req.pipe(forward);
  });
  const watchForHold = (answer: http.IncomingMessage, res: http.ServerResponse) => {
    let seen = 0;
    const onData = (chunk: Buffer) => {
      seen += chunk.length;
      if (!hold || seen < hold.afterBytes) return;
      const { held } = hold;
      hold = undefined;
      answer.off('data', onData);
      answer.pause();
      // pipe() resumes on 'drain'; unpipe so that the answer stays paused until released.
      answer.unpipe();
      held(() => {
        answer.pipe(res);
      });
    };
    answer.on('data', onData);
  };
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.close = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
  return proxy;
}
