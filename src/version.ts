/** mlf's own version; also part of every environment's cache key (the worker ships with it). */
export const MLF_VERSION = '0.1.0';
