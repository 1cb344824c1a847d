// The HEALTHCHECK of the image `mlf models build-docker` builds (src/docker/dockerfile.ts): GET /ping
// on the address and port the server listens on (MLF_SERVE_HOST, MLF_SERVE_PORT; loopback when it
// binds every interface). Node, not curl: node is the one program the image is sure to have.
const host = process.env.MLF_SERVE_HOST;
const address = !host || host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
const url = `http://${address}:${process.env.MLF_SERVE_PORT ?? '8080'}/ping`;
fetch(url, { signal: AbortSignal.timeout(4000) }).then(
  (response) => process.exit(response.ok ? 0 : 1),
  () => process.exit(1),
);
