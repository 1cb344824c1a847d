import { afterAll } from 'vitest';
import { removeTempDirs } from './temp.js';

// Loaded before every test file (vitest.config.ts setupFiles): what the file made, it removes.
afterAll(removeTempDirs);
