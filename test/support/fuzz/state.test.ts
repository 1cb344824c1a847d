import { describe, expect, it } from 'vitest';
import { createRng } from './prng.js';
import { DEAD_PID, JOURNAL_CLASSES, JOURNAL_NAME, LOCK_CLASSES, LOCK_NAME, plantJournal, plantLock } from './state.js';

const FILES = ['MLmodel', 'conda.yaml', 'requirements.txt', 'code/m.py'];
/** Comparable text (vitest's deep equality walks typed arrays element by element: slow on 100 kB). */
const key = (state: ReturnType<typeof plantJournal>) =>
  JSON.stringify(state, (_, value: unknown) => (value instanceof Uint8Array ? Buffer.from(value).toString('base64') : value));

describe('fuzz leftover state', () => {
  it.each(JOURNAL_CLASSES)('journal %s: deterministic, and always plants the journal', (mutation) => {
    for (let seed = 0; seed < 10; seed++) {
      const planted = plantJournal(mutation, FILES, createRng(seed));
      expect(key(plantJournal(mutation, FILES, createRng(seed)))).toBe(key(planted));
      expect(planted.plants.map((p) => p.path)).toContain(JOURNAL_NAME);
      // Extra plants are temp files with mlf's naming, never a model file itself.
      for (const plant of planted.plants.filter((p) => p.path !== JOURNAL_NAME)) expect(plant.path).toMatch(/\.mlf-tmp-/);
    }
  });

  it.each(LOCK_CLASSES)('lock %s: deterministic, and stale', (mutation) => {
    const planted = plantLock(mutation, 'this-host', createRng(1));
    expect(key(plantLock(mutation, 'this-host', createRng(1)))).toBe(key(planted));
    expect(planted.plants[0]!.path).toBe(LOCK_NAME);
    const owner = planted.plants.find((p) => p.path.endsWith('owner.json'));
    if (mutation === 'dead-owner') {
      const text = Buffer.from((owner!.edit as { bytes: Uint8Array }).bytes).toString('utf8');
      expect(JSON.parse(text)).toMatchObject({ pid: DEAD_PID, host: 'this-host' });
    } else if (planted.plants[0]!.edit.kind !== 'symlink' && planted.plants[0]!.edit.kind !== 'fifo') {
      // No readable owner: stale only by age, so the lock is planted an hour old.
      expect(planted.plants[0]!.ageMs).toBeGreaterThan(10_000);
    }
  });
});
