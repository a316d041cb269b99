import { z } from 'zod';
import { PROFILE_ID_PATTERN } from './profiles.js';

/**
 * Runtime schemas for everything that crosses a boundary. The inferred types are the request types;
 * the router parses every payload with them (the renderer and any HTTP caller are untrusted).
 * Quick-app argument rules with their own 202 messages live in validate.ts and run after these.
 */

const nonNegative = z.number().finite().nonnegative();

export const linkSimulationSchema = z.strictObject({
  offline: z.boolean().optional(),
  offlineTimeoutMs: nonNegative.optional(),
  bandwidth: nonNegative.optional(),
  latencyMs: nonNegative.max(600_000).optional(),
  packetLoss: z.number().min(0).max(1).optional(),
  dropAfterBytes: z.number().int().positive().optional(),
});

export const deviceSimulationSchema = z.strictObject({
  quotaBytes: nonNegative.optional(),
  maxConcurrent: z.number().int().positive().max(64).optional(),
  storage: z.enum(['cache', 'mass']).optional(),
  listenerRule: z.enum(['all', 'last']).optional(),
});

export const deviceProfileSchema = z.strictObject({
  id: z.string().regex(PROFILE_ID_PATTERN, 'lower-case letters, digits and dashes, at most 64'),
  name: z.string().trim().min(1).max(120),
  builtin: z.boolean().optional(),
  supported: z.boolean(),
  link: linkSimulationSchema.default({}),
  device: deviceSimulationSchema.default({}),
});

/** What `request.download` takes, plus the desktop's extras. url/header/filename are checked again by validate.ts. */
export const downloadInputSchema = z.object({
  url: z.unknown(),
  header: z.unknown().optional(),
  filename: z.unknown().optional(),
  description: z.string().max(1_000).optional(),
  device: z.string().optional(),
  sha256: z.string().optional(),
  speedLimit: nonNegative.optional(),
});
export type DownloadInput = z.infer<typeof downloadInputSchema>;

export const tokenInputSchema = z.object({ token: z.unknown() });

export const retryInputSchema = z.object({ token: z.unknown(), url: z.string().optional() });
export const removeInputSchema = z.object({ token: z.unknown(), deleteFile: z.boolean().default(false) });
/**
 * Stands in for the user's home when choosing gallery folders (the CLI's --gallery-dir, resolved by the
 * CLI). Absolute only: a relative path would be resolved against whatever the engine's working folder is.
 */
const galleryHomeSchema = z
  .string()
  .max(4_096)
  .regex(/^(\/|[A-Za-z]:[\\/])/, 'must be an absolute path')
  .refine((p) => !p.includes('\0'), 'must not contain NUL')
  .optional();

export const galleryInputSchema = z.object({ token: z.unknown(), galleryHome: galleryHomeSchema });
export const emptyInputSchema = z.object({}).default({});

export const settingsPatchSchema = z.strictObject({
  concurrency: z.number().int().min(1).max(64).optional(),
  speedLimit: nonNegative.optional(),
  proxy: z.string().max(2_000).optional(),
  activeProfile: z.string().optional(),
  galleryDirs: z.strictObject({ image: z.string(), video: z.string(), audio: z.string() }).partial().optional(),
  language: z.enum(['en', 'zh-CN']).optional(),
  segments: z.number().int().min(1).max(16).optional(),
});
export type SettingsPatch = z.infer<typeof settingsPatchSchema>;
export const profileIdInputSchema = z.object({ id: z.string().min(1) });

export const mediaRefSchema = z.object({
  partition: z.enum(['cache', 'mass']),
  name: z.string().min(1).max(4096),
});
export const mediaRefsInputSchema = z.object({ items: z.array(mediaRefSchema).min(1).max(10_000), galleryHome: galleryHomeSchema });
export const revealInputSchema = z.union([
  z.object({ token: z.unknown() }),
  z.object({ partition: z.enum(['cache', 'mass']), name: z.string().min(1).max(4096) }),
]);
