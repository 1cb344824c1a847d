/**
 * What the model cache needs from a place that holds a model's files (the tracking server's
 * artifact proxy, S3): the listing, and one file's bytes. Each store names its location without
 * credentials, which with the listing is the cache's key.
 */

/** One file of a listing: its path relative to the model's root, its size, and a checksum when the store has one (S3's ETag). */
export interface ListedArtifact {
  path: string;
  size: number;
  checksum?: string;
}

export interface ArtifactStore {
  /** The resolved location (artifact-location.ts `describeLocation`): never a credential. */
  readonly location: string;
  /** Every file under the location, sorted by path; directories are walked. */
  list(): Promise<ListedArtifact[]>;
  /** Writes the file's bytes to `destination` (its directory exists), reporting each chunk's size. */
  download(file: ListedArtifact, destination: string, onBytes: (bytes: number) => void): Promise<void>;
}
