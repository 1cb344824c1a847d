import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';

/**
 * What directories take on disk, counted honestly. uv installs packages by hard-linking the
 * files of its own cache, so a walk that adds up apparent sizes counts a file once per
 * environment that links it, and again for uv's cache: 12 environments listed at ~700 MiB
 * each in a cache that used 2.9 GB. Here a file (an inode: device and inode number) is counted
 * once however many of its links are walked, with the blocks it has allocated (st_blocks × 512:
 * what `du` counts, so sparse files are not overstated either), and each inode remembers how
 * many of its links were seen: when that equals its link count, every name of it lies inside
 * what was measured, so removing all of that frees its blocks; otherwise (a link from uv's
 * cache, or from an environment not measured) removing it frees nothing.
 */
export interface DiskUsageTotals {
  /** Blocks of every file and directory under the measured directories, each inode once. */
  onDiskBytes: number;
  /** The part of it whose every link is inside the measured directories: what removing them frees. */
  unsharedBytes: number;
}

interface InodeEntry {
  bytes: number;
  /** st_nlink when first seen (directories: 1, their links are not hard links to share). */
  links: number;
  seen: number;
}

export class DiskUsage {
  private readonly inodes = new Map<string, InodeEntry>();

  /** Adds every file and directory under `dir` (and `dir` itself); symlinks are not followed. */
  async add(dir: string): Promise<void> {
    const stack = [dir];
    await this.addEntry(dir);
    while (stack.length > 0) {
      const current = stack.pop()!;
      let entries;
      try {
        entries = await readdir(current, { withFileTypes: true });
      } catch {
        continue;
      }
      for (const entry of entries) {
        const full = path.join(current, entry.name);
        if (entry.isDirectory()) stack.push(full);
        await this.addEntry(full);
      }
    }
  }

  /** The union with another measurement: an inode seen in both is counted once. */
  merge(other: DiskUsage): void {
    for (const [key, entry] of other.inodes) {
      const mine = this.inodes.get(key);
      if (mine) mine.seen += entry.seen;
      else this.inodes.set(key, { ...entry });
    }
  }

  totals(): DiskUsageTotals {
    let onDiskBytes = 0;
    let unsharedBytes = 0;
    for (const entry of this.inodes.values()) {
      onDiskBytes += entry.bytes;
      if (entry.seen >= entry.links) unsharedBytes += entry.bytes;
    }
    return { onDiskBytes, unsharedBytes };
  }

  private async addEntry(file: string): Promise<void> {
    let st;
    try {
      st = await lstat(file, { bigint: true });
    } catch {
      return; // removed meanwhile
    }
    const key = `${st.dev}:${st.ino}`;
    const known = this.inodes.get(key);
    if (known) {
      known.seen++;
      return;
    }
    this.inodes.set(key, { bytes: Number(st.blocks) * 512, links: st.isDirectory() ? 1 : Number(st.nlink), seen: 1 });
  }
}

/** The usage of `dirs` together. */
export async function measureDiskUsage(dirs: readonly string[]): Promise<DiskUsageTotals> {
  const usage = new DiskUsage();
  for (const dir of dirs) await usage.add(dir);
  return usage.totals();
}
