/**
 * A remote model URI → a directory in the model cache: resolved against the tracking server
 * (tracking/resolve.ts), fetched from the artifact proxy or S3 into the cache
 * (tracking/model-cache.ts). Loaded by model-source.ts only for a remote URI (it brings the HTTP
 * client). `--offline`, or a server that cannot be reached, uses what the URI resolved to last,
 * if that is still cached, and says so.
 */
import os from 'node:os';
import { readdir } from 'node:fs/promises';
import type { EnvRecord } from '../config/env-vars.js';
import { isMlfError, usageError, type MlfError } from '../errors.js';
import { resolveMlfHome } from '../env/home.js';
import { describeLocation, type ArtifactLocation } from '../tracking/artifact-location.js';
import type { ArtifactStore } from '../tracking/artifact-store.js';
import { createTrackingClient, type TrackingClient } from '../tracking/client.js';
import { readTrackingConfig, type TrackingConfig } from '../tracking/config.js';
import { isTrackingError } from '../tracking/errors.js';
import {
  cachedModelAt,
  fetchModel,
  lastResolution,
  rememberResolution,
  type CachedModel,
  type ResolutionRecord,
} from '../tracking/model-cache.js';
import { redactUri, type ModelUri } from '../tracking/model-uri.js';
import { createProxyStore } from '../tracking/proxy-store.js';
import { resolveModelUri, type ResolvedModel } from '../tracking/resolve.js';
import { createS3Store } from '../tracking/s3-store.js';
import { mergedLocation, mergeStores } from '../tracking/merged-store.js';
import type { ModelSource, ModelSourceRequest } from './model-source.js';

export async function fetchRemoteModel(modelUri: string, parsed: Exclude<ModelUri, { kind: 'local' }>, request: ModelSourceRequest): Promise<ModelSource> {
  const mlfHome = resolveMlfHome({ mlfHome: request.mlfHome, env: request.env, cwd: request.cwd });
  const config = readTrackingConfig(request.env, request.home ?? os.homedir());
  const server = serverOf(parsed, config);
  if (request.offline) return fromLastResolution(modelUri, mlfHome, server, 'offline', request);
  const clients = new Clients(config);
  try {
    return await fetchRemote(modelUri, parsed, mlfHome, server, config, clients, request);
  } catch (error) {
    if (!isUnreachable(error)) throw error;
    return fromLastResolution(modelUri, mlfHome, server, 'unreachable', request, error as MlfError);
  } finally {
    await clients.close();
  }
}

/** The server a URI is resolved against (the key of its last resolution): '' for URIs that need none. */
function serverOf(uri: Exclude<ModelUri, { kind: 'local' }>, config: TrackingConfig): string {
  if (uri.kind === 'registered') return redactUri(config.registryUri ?? '');
  if (uri.kind === 'run' || uri.kind === 'logged-model' || uri.kind === 'mlflow-artifacts') return redactUri(config.trackingUri ?? '');
  return '';
}

function isUnreachable(error: unknown): boolean {
  return isTrackingError(error, 'unreachable') || (isMlfError(error) && error.code === 'S3_UNREACHABLE');
}

/** One client per server, made when first needed and closed at the end. */
class Clients {
  private made = new Map<string, TrackingClient>();
  constructor(private readonly config: TrackingConfig) {}
  get(server: 'tracking' | 'registry'): TrackingClient {
    let client = this.made.get(server);
    if (!client) {
      client = createTrackingClient(this.config, { server });
      this.made.set(server, client);
    }
    return client;
  }
  async close(): Promise<void> {
    await Promise.all([...this.made.values()].map((c) => c.close().catch(() => undefined)));
  }
}

async function fetchRemote(
  modelUri: string,
  parsed: Exclude<ModelUri, { kind: 'local' }>,
  mlfHome: string,
  server: string,
  config: TrackingConfig,
  clients: Clients,
  request: ModelSourceRequest,
): Promise<ModelSource> {
  const stores = new Map<string, Promise<ArtifactStore>>();
  const storeFor = (location: ArtifactLocation): Promise<ArtifactStore> => {
    const key = describeLocation(location);
    let store = stores.get(key);
    if (!store) {
      store = makeStore(location, clients, request.env);
      stores.set(key, store);
    }
    return store;
  };
  const resolved: ResolvedModel = await resolveModelUri(parsed, {
    tracking: () => clients.get('tracking'),
    registry: () => clients.get('registry'),
    trackingUri: config.trackingUri,
    list: async (location) => (location.kind === 'local' ? localListing(location.dir) : (await storeFor(location)).list()),
  });
  for (const message of resolved.warnings) request.onModelEvent?.({ kind: 'model-warning', message });
  const { overlay } = resolved;
  const location = overlay ? mergedLocation(describeLocation(resolved.location), describeLocation(overlay)) : describeLocation(resolved.location);
  if (resolved.location.kind === 'local') {
    // A server whose artifacts are a directory on this machine (no artifact proxy): read in place.
    return { dir: resolved.location.dir, shown: modelUri };
  }
  let cached: CachedModel | undefined = await cachedModelAt(mlfHome, location);
  request.onModelEvent?.({ kind: 'model-resolved', modelUri, location, ...(resolved.registered ? { registered: resolved.registered } : {}), cached: cached !== undefined });
  if (!cached) {
    const store = await storeFor(resolved.location);
    const listed = resolved.listing;
    // With an overlay: the run's files and its logged model's, merged as MLflow's download leaves them (both listed again).
    const source: ArtifactStore = overlay
      ? mergeStores(store, await storeFor(overlay))
      : listed
        ? { location: store.location, list: async () => listed, download: (f, d, b) => store.download(f, d, b) }
        : store;
    cached = await fetchModel({ mlfHome, store: source, ...(request.onModelEvent ? { onProgress: request.onModelEvent } : {}) });
  }
  const identity = { ...(resolved.registered ? { registered: resolved.registered } : {}), ...(resolved.loggedModelId ? { loggedModelId: resolved.loggedModelId } : {}) };
  const record: ResolutionRecord = { modelUri, server, location, ...identity, resolvedAt: new Date().toISOString() };
  await rememberResolution(mlfHome, record);
  return { dir: cached.dir, shown: modelUri, remote: { modelUri, location, ...identity, downloaded: cached.downloaded } };
}

async function makeStore(location: ArtifactLocation, clients: Clients, env: EnvRecord): Promise<ArtifactStore> {
  switch (location.kind) {
    case 'proxy':
      return createProxyStore(location, clients.get('tracking'));
    case 's3':
      return createS3Store(location, env);
    case 'local':
      throw new Error('a local location has no store');
  }
}

async function fromLastResolution(
  modelUri: string,
  mlfHome: string,
  server: string,
  reason: 'offline' | 'unreachable',
  request: ModelSourceRequest,
  cause?: MlfError,
): Promise<ModelSource> {
  const record = await lastResolution(mlfHome, modelUri, server);
  const cached = record ? await cachedModelAt(mlfHome, record.location) : undefined;
  if (!record || !cached) {
    if (cause) throw cause;
    throw usageError('MODEL_NOT_CACHED', `--offline: \`${modelUri}\` has not been fetched on this machine${server ? ` from ${server}` : ''}`, {
      hint: 'run the command once without --offline while the server can be reached',
    });
  }
  const version = record.registered ? ` (version ${record.registered.version})` : '';
  const why = reason === 'offline' ? '--offline' : `the server cannot be reached (${cause?.message ?? 'unreachable'})`;
  request.onModelEvent?.({ kind: 'model-warning', message: `${why}: using \`${modelUri}\`${version} as it was resolved at ${record.resolvedAt}` });
  return {
    dir: cached.dir,
    shown: modelUri,
    remote: {
      modelUri,
      location: record.location,
      ...(record.registered ? { registered: record.registered } : {}),
      ...(record.loggedModelId ? { loggedModelId: record.loggedModelId } : {}),
      downloaded: false,
      offline: { reason, resolvedAt: record.resolvedAt },
    },
  };
}

/** Enough of a local directory's listing to tell whether it holds anything. */
async function localListing(dir: string): Promise<{ path: string; size: number }[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  return names.map((name) => ({ path: name, size: 0 }));
}
