/**
 * Two stores read as one directory, the second's files over the first's: what MLflow 3's
 * runs_artifact_repo.py `download_artifacts` leaves in the destination for `runs:/<id>/<name>`
 * when the run has files at `<name>` and also logged a model named `<name>` (it downloads the
 * run's files, then the model's into the same directory, overwriting on a clash).
 */
import type { ArtifactStore, ListedArtifact } from './artifact-store.js';

/** The merged location's name (the cache's key): both locations, in their order. */
export function mergedLocation(base: string, over: string): string {
  return `${base} + ${over}`;
}

export function mergeStores(base: ArtifactStore, over: ArtifactStore): ArtifactStore {
  const owner = new Map<string, ArtifactStore>();
  return {
    location: mergedLocation(base.location, over.location),
    async list() {
      const [under, above] = await Promise.all([base.list(), over.list()]);
      const byPath = new Map<string, ListedArtifact>();
      for (const [store, files] of [[base, under], [over, above]] as const) {
        for (const file of files) {
          byPath.set(file.path, file);
          owner.set(file.path, store);
        }
      }
      return [...byPath.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    },
    download(file, destination, onBytes) {
      const store = owner.get(file.path);
      // A listing handed in from elsewhere: the overlay's file if it has one is unknowable here.
      if (!store) throw new Error(`merged store: \`${file.path}\` was not in its listing`);
      return store.download(file, destination, onBytes);
    },
  };
}
