// Started by exit-hook.test.ts (bundled by esbuild, run by node): starts the fake worker
// FAKE_COUNT times, prints their pids, then exits without closing any of them.
import { WorkerClient } from '../../../src/worker/worker-client.js';

const [fake, count] = [process.argv[2]!, Number(process.argv[3])];
process.on('warning', (warning) => process.stderr.write(`warning: ${warning.name}: ${warning.message}\n`));
const clients = await Promise.all(
  Array.from({ length: count }, () =>
    WorkerClient.start({ pythonPath: 'unused', modelDir: '/models/m', env: { PATH: process.env.PATH, FAKE_MODE: 'ok' }, cwd: process.cwd(), command: { file: process.execPath, args: [fake] } }),
  ),
);
process.stdout.write(`${JSON.stringify(clients.map((client) => client.hello.pid))}\n`);
process.exit(0);
