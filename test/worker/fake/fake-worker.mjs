// A stand-in for worker.py that speaks the protocol (or breaks it) as FAKE_MODE says.
// Started by worker-client tests with node instead of python.
import { createInterface } from 'node:readline';

const mode = process.env.FAKE_MODE ?? 'ok';
const args = process.argv.slice(2);
const send = (message) => process.stdout.write(`${JSON.stringify(message)}\n`);
const hello = { ok: true, type: 'hello', protocol: mode === 'old-protocol' ? 99 : 4, worker_version: '1', python: '3.11.7', executable: 'fake', pid: process.pid };

if (mode === 'garbage') {
  process.stdout.write('this is not json\n');
  setTimeout(() => process.exit(0), 2000);
} else if (mode === 'die-at-start') {
  process.stderr.write('Traceback (most recent call last):\nSegmentation fault, or so\n');
  process.exit(7);
} else {
  send(hello);
  if (mode === 'load-missing-module') {
    send({ ok: false, kind: 'missing_module', message: "ModuleNotFoundError: No module named 'cv2'", module: 'cv2', traceback: 'Traceback...\nModuleNotFoundError: No module named \'cv2\'\n' });
    process.exit(1);
  }
  process.stderr.write(`started with ${args.join(' ')} FOO=${process.env.FOO ?? ''}\n`);
  if (mode === 'log') send({ ok: true, type: 'log', level: 'info', message: 'loaded from the cache' });
  send({ ok: true, type: 'ready', runtime: mode === 'fallback' ? 'mlflow' : 'sklearn', load_ms: 12.5, ...(mode === 'fallback' ? { fallback_reason: 'loader_module `x` needs mlflow' } : {}) });
  const rl = createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    const request = JSON.parse(line);
    if (request.type === 'shutdown') {
      send({ ok: true, id: request.id, type: 'bye' });
      process.exit(0);
    }
    if (request.type === 'invoke_batch') {
      // Each item echoed, with how many items came together.
      const replies = request.items.map((item) => ({ status: 200, content_type: 'application/json', body: JSON.stringify({ pid: process.pid, item, together: request.items.length }) }));
      send({ ok: true, id: request.id, type: 'http_batch', replies, batched_rows: request.items.length });
      return;
    }
    if (request.type === 'invoke') {
      // What the request's body says: {"sleep_ms": N} answers after N ms, {"die": true} exits
      // (as a segfault would), {"hang": true} never answers; else it echoes the request.
      let order = {};
      try {
        order = JSON.parse(request.body ?? '{}');
      } catch {}
      if (order.die) process.exit(9);
      if (order.hang) return;
      const answer = () => send({ ok: true, id: request.id, type: 'http', status: order.status ?? 200, content_type: 'application/json', body: JSON.stringify({ pid: process.pid, request }), timings: { invoke_ms: 1 } });
      if (order.sleep_ms) setTimeout(answer, order.sleep_ms);
      else answer();
      return;
    }
    if (mode === 'die-on-predict') {
      process.stderr.write('about to die\n');
      process.exit(9);
    }
    if (mode === 'bad-reply') {
      send({ ok: true, id: request.id, type: 'prediction', timings: 'soon' });
      return;
    }
    const kind = process.env.FAKE_ERROR_KIND;
    if (kind) {
      send({ ok: false, id: request.id, kind, message: process.env.FAKE_ERROR_MESSAGE ?? 'it failed', ...(kind === 'missing_module' ? { module: process.env.FAKE_MODULE } : {}), traceback: 'Traceback (most recent call last):\n  File "x"\nValueError: it failed\n' });
      return;
    }
    if (mode === 'log') send({ ok: true, type: 'log', level: 'warning', message: 'Found extra inputs' });
    console.log = () => undefined;
    send({
      ok: true,
      id: request.id,
      type: 'prediction',
      timings: { parse_ms: 1, predict_ms: 2, encode_ms: 3 },
      output: JSON.stringify({ echo: request }),
    });
  });
}
