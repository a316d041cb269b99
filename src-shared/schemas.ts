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

/**
 * A caller's name for one download request, so that sending it again (a retry after an answer that was
 * lost) never makes a second task: letters, digits and `._:-`, at most 128 (a UUID fits).
 */
export const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

/** What `request.download` takes, plus the desktop's extras. url/header/filename are checked again by validate.ts. */
export const downloadInputSchema = z.object({
  url: z.unknown(),
  header: z.unknown().optional(),
  filename: z.unknown().optional(),
  description: z.string().max(1_000).optional(),
  device: z.string().optional(),
  sha256: z.string().optional(),
  speedLimit: nonNegative.optional(),
  /**
   * Idempotency: a second `download.start` with the request id of a task that still exists answers that
   * task's token and creates nothing (the same request again); with other arguments it is refused (202).
   */
  requestId: z.string().regex(REQUEST_ID_PATTERN, 'requestId must be 1 to 128 letters, digits or ._:-').optional(),
});
export type DownloadInput = z.infer<typeof downloadInputSchema>;

export const tokenInputSchema = z.object({ token: z.unknown() });

/**
 * `header`, when given, replaces the task's request headers (checked by validate.ts as download's are);
 * `device`: retry under this profile (the active one, say) instead of the task's own.
 */
export const retryInputSchema = z.object({ token: z.unknown(), url: z.string().optional(), header: z.unknown().optional(), device: z.string().optional() });
export const removeInputSchema = z.object({ token: z.unknown(), deleteFile: z.boolean().default(false) });
/** Longest folder path taken anywhere in the contract (Linux's PATH_MAX). */
export const MAX_PATH_LENGTH = 4_096;

/** POSIX `/…` or a Windows drive path `C:\…` (`C:` alone is relative to that drive's current folder). */
const ABSOLUTE_PATH = /^(\/|[A-Za-z]:[\\/])/;

/** What is wrong with a folder path, as a code the renderer translates and a sentence the router sends. */
export type FolderProblem = 'absolute' | 'segments' | 'nul' | 'length';

/**
 * The one rule for a folder given over the contract (gallery folders in the settings, the CLI's
 * --gallery-dir as galleryHome): absolute, normalised, no NUL, at most MAX_PATH_LENGTH characters.
 *
 * Not normalised is refused, not repaired: `/a/../b` or `/a//b` would be stored as something other than
 * what the user typed, and a `..` the user did not mean could land files somewhere unexpected, so the
 * user is told and rewrites it (the message says how). Only a trailing separator is trimmed
 * (`/home/me/Pictures/` is `/home/me/Pictures`; a root such as `/` or `C:\` keeps it). Both separators
 * count when looking for `.`/`..` segments, since `\` is one on Windows; relative paths are refused
 * because they would resolve against whatever folder the engine was started in.
 */
export function folderProblem(value: string): FolderProblem | undefined {
  if (value.length > MAX_PATH_LENGTH) return 'length';
  if (value.includes('\0')) return 'nul';
  if (!ABSOLUTE_PATH.test(value)) return 'absolute';
  const rest = trimTrailingSeparator(value).slice(rootLength(value));
  if (rest !== '' && rest.split(/[\\/]/).some((s) => s === '' || s === '.' || s === '..')) return 'segments';
  return undefined;
}

const EXAMPLE_FOLDER = '/home/me/Pictures or C:\\Users\\me\\Pictures';

/** The sentence for a folder problem, naming the field (`what`) so a person knows which one. */
export function folderProblemMessage(what: string, problem: FolderProblem): string {
  switch (problem) {
    case 'length':
      return `${what} is too long (at most ${MAX_PATH_LENGTH} characters)`;
    case 'nul':
      return `${what} must not contain a NUL character`;
    case 'absolute':
      return `${what} must be an absolute path, such as ${EXAMPLE_FOLDER}`;
    case 'segments':
      return `${what} must be written plainly, without "." or ".." parts or doubled separators, such as ${EXAMPLE_FOLDER}`;
  }
}

/** `/` or `C:\` (0 when the path is not absolute). */
const rootLength = (value: string): number => /^(?:[A-Za-z]:)?[\\/]/.exec(value)?.[0].length ?? 0;

/** Drop trailing separators after the root: `/a/b/` is `/a/b`, `/` and `C:\` stay. */
function trimTrailingSeparator(value: string): string {
  const root = rootLength(value);
  let end = value.length;
  while (end > root && (value[end - 1] === '/' || value[end - 1] === '\\')) end -= 1;
  return value.slice(0, end);
}

/**
 * A folder path under the rule of folderProblem; `what` names it in the message. Trailing separators
 * are trimmed. `emptyIsDefault`: the empty string passes (a gallery folder of the settings: the default).
 */
export const folderSchema = (what: string, options: { emptyIsDefault?: boolean } = {}) =>
  z
    .string({ error: `${what} must be a string` })
    .superRefine((value, ctx) => {
      if (options.emptyIsDefault && value === '') return;
      const problem = folderProblem(value);
      if (problem) ctx.addIssue({ code: 'custom', message: folderProblemMessage(what, problem), params: { problem } });
    })
    .transform(trimTrailingSeparator);

/**
 * Stands in for the user's home when choosing gallery folders (the CLI's --gallery-dir, resolved by the
 * CLI). Absolute only: a relative path would be resolved against whatever the engine's working folder is.
 */
const galleryHomeSchema = folderSchema('gallery home').optional();

export const galleryInputSchema = z.object({ token: z.unknown(), galleryHome: galleryHomeSchema });
export const emptyInputSchema = z.object({}).default({});

export const MEDIA_KIND_NAMES = { image: 'images', video: 'videos', audio: 'audio' } as const;

/** A gallery folder in the settings: empty means the default folder (paths.ts galleryDirs, as before), else under folderProblem's rule. */
const galleryDirSchema = (kind: keyof typeof MEDIA_KIND_NAMES) => folderSchema(`gallery folder for ${MEDIA_KIND_NAMES[kind]}`, { emptyIsDefault: true });

export const PROXY_MESSAGE = 'proxy must be empty (no proxy) or an http:// or https:// URL with a host, such as http://127.0.0.1:8080';

/** Whether text is an http: or https: URL with a host, as `new URL` parses it. */
export function isProxyUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

/**
 * The proxy: empty (HTTPS_PROXY / HTTP_PROXY from the environment, else none) or an http(s) URL that
 * parses. Anything else used to be stored and then failed every proxied download with "Invalid URL".
 * Surrounding spaces are trimmed (new URL ignores them, the stored text would keep them).
 */
const proxySchema = z
  .string({ error: 'proxy must be a string' })
  .max(2_000, 'proxy is too long (at most 2000 characters)')
  .trim()
  .refine((text) => text === '' || isProxyUrl(text), PROXY_MESSAGE);

export const settingsPatchSchema = z.strictObject({
  concurrency: z.number().int().min(1).max(64).optional(),
  speedLimit: nonNegative.optional(),
  proxy: proxySchema.optional(),
  activeProfile: z.string().optional(),
  galleryDirs: z
    .strictObject({ image: galleryDirSchema('image'), video: galleryDirSchema('video'), audio: galleryDirSchema('audio') })
    .partial()
    .optional(),
  language: z.enum(['en', 'zh-CN']).optional(),
  segments: z.number().int().min(1).max(16).optional(),
});
export type SettingsPatch = z.infer<typeof settingsPatchSchema>;

/** Zod's issues as one line for a person, each led by the field it is about (`galleryDirs.image: …`). */
export function issuesMessage(issues: readonly z.core.$ZodIssue[]): string {
  return issues.map((i) => `${i.path.map(String).join('.') || 'input'}: ${i.message}`).join('; ');
}
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
