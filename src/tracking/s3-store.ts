/**
 * A model's files in S3 (or an S3-compatible server), as mlflow/store/artifact/s3_artifact_repo.py
 * reads them: the AWS SDK's standard credential chain (the variables below, else the shared
 * config and credentials files, SSO, the instance's role), `MLFLOW_S3_ENDPOINT_URL` for another
 * endpoint, `MLFLOW_S3_IGNORE_TLS` to skip certificate checks. The SDK is loaded only here, and
 * only when an `s3://` location is read.
 */
import { createWriteStream } from 'node:fs';
import { Agent } from 'node:https';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { S3Client } from '@aws-sdk/client-s3';
import { ENV, readBooleanEnv, type EnvRecord } from '../config/env-vars.js';
import { inputError, usageError } from '../errors.js';
import type { ArtifactStore, ListedArtifact } from './artifact-store.js';
import { networkError } from './network-error.js';

export interface S3Location {
  bucket: string;
  prefix: string;
}

const CREDENTIAL_HINT = `set AWS credentials (${ENV.AWS_ACCESS_KEY_ID} and ${ENV.AWS_SECRET_ACCESS_KEY}, or AWS_PROFILE and ~/.aws/credentials)`;

export async function createS3Store(location: S3Location, env: EnvRecord): Promise<ArtifactStore> {
  const loaded = await import('@aws-sdk/client-s3');
  // The SDK is CommonJS: in mlf's bundle (scripts/bundle.mjs) its chunk is the module's default
  // export; under Node and vitest the named exports are there.
  const sdk = typeof loaded.S3Client === 'function' ? loaded : loaded.default;
  const { S3Client, ListObjectsV2Command, GetObjectCommand } = sdk;
  const endpoint = env[ENV.MLFLOW_S3_ENDPOINT_URL] || undefined;
  const accessKeyId = env[ENV.AWS_ACCESS_KEY_ID];
  const secretAccessKey = env[ENV.AWS_SECRET_ACCESS_KEY];
  const client: S3Client = new S3Client({
    // boto3 reads S3 without a region; the SDK needs one.
    region: env[ENV.AWS_REGION] || env[ENV.AWS_DEFAULT_REGION] || 'us-east-1',
    ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
    // Keys given in mlf's environment are used as such; otherwise the SDK's own chain.
    ...(accessKeyId && secretAccessKey
      ? { credentials: { accessKeyId, secretAccessKey, ...(env[ENV.AWS_SESSION_TOKEN] ? { sessionToken: env[ENV.AWS_SESSION_TOKEN] } : {}) } }
      : {}),
    ...(readBooleanEnv(env, ENV.MLFLOW_S3_IGNORE_TLS) ? { requestHandler: { httpsAgent: new Agent({ rejectUnauthorized: false }) } } : {}),
  });
  const prefix = location.prefix === '' ? '' : `${location.prefix}/`;
  const shown = `s3://${location.bucket}/${location.prefix}`;
  return {
    location: shown,
    async list() {
      const files: ListedArtifact[] = [];
      let token: string | undefined;
      do {
        const page = await call(shown, endpoint, () => client.send(new ListObjectsV2Command({ Bucket: location.bucket, Prefix: prefix, ContinuationToken: token })));
        for (const object of page.Contents ?? []) {
          if (object.Key === undefined || object.Key.endsWith('/')) continue;
          files.push({ path: object.Key.slice(prefix.length), size: object.Size ?? 0, ...(object.ETag ? { checksum: object.ETag } : {}) });
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    },
    async download(file, destination, onBytes) {
      const object = await call(shown, endpoint, () => client.send(new GetObjectCommand({ Bucket: location.bucket, Key: `${prefix}${file.path}` })));
      const body = object.Body as NodeJS.ReadableStream | undefined;
      if (!body) throw inputError('S3_OBJECT_EMPTY', `\`s3://${location.bucket}/${prefix}${file.path}\` has no body`);
      const counter = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          onBytes(chunk.length);
          done(null, chunk);
        },
      });
      await call(shown, endpoint, () => pipeline(body, counter, createWriteStream(destination)));
    },
  };
}

/** The SDK's errors as mlf's: a missing bucket or key exits 2, credentials 2 naming the variables, the network 3. */
async function call<T>(shown: string, endpoint: string | undefined, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    const name = (error as { name?: string }).name ?? '';
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (name === 'NoSuchBucket' || name === 'NoSuchKey' || status === 404) {
      throw inputError('S3_NOT_FOUND', `\`${shown}\` does not exist (${name || 'not found'})`, { hint: 'check the bucket and key of the model URI' });
    }
    if (['AccessDenied', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'CredentialsProviderError', 'ExpiredToken', 'Forbidden'].includes(name) || status === 401 || status === 403) {
      throw usageError('S3_ACCESS_DENIED', `S3 refused access to \`${shown}\` (${name || `HTTP ${status}`})`, { hint: CREDENTIAL_HINT });
    }
    const where = endpoint ? ` at ${ENV.MLFLOW_S3_ENDPOINT_URL}=${endpoint}` : '';
    throw networkError('S3_UNREACHABLE', `could not read \`${shown}\` from S3${where}: ${oneLine(error)}`, { hint: endpoint ? `check ${ENV.MLFLOW_S3_ENDPOINT_URL} and that the server is up` : 'check the network and the bucket\'s region (AWS_REGION)' });
  }
}

function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message || (error as { code?: string }).code || error.name : String(error);
  return message.split('\n')[0]!;
}
