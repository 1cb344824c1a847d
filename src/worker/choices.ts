/**
 * The values the predict flags accept. Kept apart from protocol.ts so that the CLI can check
 * flags without loading zod at start-up (every command pays for what `cli/` imports eagerly).
 */
export const RUNTIME_CHOICES = ['auto', 'mlflow'] as const;
export type RuntimeChoice = (typeof RUNTIME_CHOICES)[number];

export const CONTENT_TYPES = ['json', 'csv'] as const;
export type ContentType = (typeof CONTENT_TYPES)[number];
