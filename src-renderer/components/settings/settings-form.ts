import { MAX_PATH_LENGTH, settingsPatchSchema, type FolderProblem, type SettingsPatch } from '../../../src-shared/schemas.js';
import type { Settings } from '../../../src-shared/types.js';

/**
 * The settings form as typed text, and its checks. The speed limit is entered with a unit and stored in
 * bytes per second (0 = no limit); the proxy is an http(s) URL or empty (the environment's, else none);
 * a gallery folder is an absolute path or empty (the default folder).
 */
export type SpeedUnit = 'B' | 'KiB' | 'MiB';
export const SPEED_UNITS: Record<SpeedUnit, number> = { B: 1, KiB: 1024, MiB: 1024 * 1024 };

export interface SettingsForm {
  concurrency: string;
  segments: string;
  speed: string;
  speedUnit: SpeedUnit;
  proxy: string;
  image: string;
  video: string;
  audio: string;
}

export type SettingsField = keyof SettingsForm;
export type SettingsErrors = Partial<Record<SettingsField, { key: string; values?: Record<string, number> }>>;

export function toSettingsForm(settings: Settings): SettingsForm {
  const limit = settings.speedLimit;
  const unit: SpeedUnit = limit > 0 && limit % SPEED_UNITS.MiB === 0 ? 'MiB' : limit > 0 && limit % SPEED_UNITS.KiB !== 0 ? 'B' : 'KiB';
  return {
    concurrency: String(settings.concurrency),
    segments: String(settings.segments),
    speed: limit > 0 ? String(limit / SPEED_UNITS[unit]) : '',
    speedUnit: unit,
    proxy: settings.proxy,
    image: settings.galleryDirs.image,
    video: settings.galleryDirs.video,
    audio: settings.galleryDirs.audio,
  };
}

const fields = settingsPatchSchema.shape;
const folderFields = fields.galleryDirs.unwrap().shape;
/** The bounds the contract sets, for the messages (so the form and the engine never disagree). */
const bounds = (schema: { unwrap(): { minValue: number | null; maxValue: number | null } }) => {
  const n = schema.unwrap();
  return { min: n.minValue ?? 0, max: n.maxValue ?? Number.MAX_SAFE_INTEGER };
};

/** The key of the message for a folder the shared schema refused (its issue carries the problem). */
function folderError(error: { issues: ReadonlyArray<{ code: string; params?: Record<string, unknown> }> }): { key: string; values?: Record<string, number> } {
  const problem = error.issues.map((i) => (i.code === 'custom' ? (i.params?.problem as FolderProblem | undefined) : undefined)).find(Boolean) ?? 'absolute';
  return problem === 'length' ? { key: 'folder.length', values: { max: MAX_PATH_LENGTH } } : { key: `folder.${problem}` };
}

/**
 * The changes the form makes to the settings (only what differs), or what is wrong per field. Every
 * value is checked by the contract's own schema (settingsPatchSchema), the one the engine's router
 * enforces: the form's errors and the engine's 202s cannot disagree. The form only turns text into
 * values (numbers, a unit) and picks the translated sentence.
 */
export function settingsPatch(form: SettingsForm, current: Settings): { patch: SettingsPatch } | { errors: SettingsErrors } {
  const errors: SettingsErrors = {};
  const patch: SettingsPatch = {};
  const number = (text: string): number => (text.trim() === '' ? Number.NaN : Number(text.trim()));

  const concurrency = fields.concurrency.safeParse(number(form.concurrency));
  if (!concurrency.success || concurrency.data === undefined) errors.concurrency = { key: 'concurrency', values: bounds(fields.concurrency) };
  else if (concurrency.data !== current.concurrency) patch.concurrency = concurrency.data;

  const segments = fields.segments.safeParse(number(form.segments));
  if (!segments.success || segments.data === undefined) errors.segments = { key: 'segments', values: bounds(fields.segments) };
  else if (segments.data !== current.segments) patch.segments = segments.data;

  const speedText = form.speed.trim();
  const speed = speedText === '' ? 0 : Number(speedText);
  const speedLimit = fields.speedLimit.safeParse(Math.round(speed * SPEED_UNITS[form.speedUnit]));
  if (!Number.isFinite(speed) || !speedLimit.success || speedLimit.data === undefined) errors.speed = { key: 'speed' };
  else if (speedLimit.data !== current.speedLimit) patch.speedLimit = speedLimit.data;

  const proxy = fields.proxy.safeParse(form.proxy);
  if (!proxy.success || proxy.data === undefined) errors.proxy = { key: 'proxy' };
  else if (proxy.data !== current.proxy) patch.proxy = proxy.data;

  const dirs: NonNullable<SettingsPatch['galleryDirs']> = {};
  for (const kind of ['image', 'video', 'audio'] as const) {
    const dir = folderFields[kind].safeParse(form[kind].trim());
    if (!dir.success) errors[kind] = folderError(dir.error);
    else if (dir.data !== undefined && dir.data !== current.galleryDirs[kind]) dirs[kind] = dir.data;
  }
  if (Object.keys(dirs).length > 0) patch.galleryDirs = dirs;

  return Object.keys(errors).length > 0 ? { errors } : { patch };
}
