import type { SettingsPatch } from '../../../src-shared/schemas.js';
import type { Settings } from '../../../src-shared/types.js';

/**
 * The settings form as typed text, and its checks. The speed limit is entered with a unit and stored in
 * bytes per second (0 = no limit); the proxy is an http(s) URL or empty (the environment's, else none).
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

export function isProxyUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

/** The changes the form makes to the settings (only what differs), or what is wrong per field. */
export function settingsPatch(form: SettingsForm, current: Settings): { patch: SettingsPatch } | { errors: SettingsErrors } {
  const errors: SettingsErrors = {};
  const patch: SettingsPatch = {};

  const concurrency = Number(form.concurrency.trim());
  if (form.concurrency.trim() === '' || !Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) {
    errors.concurrency = { key: 'concurrency', values: { min: 1, max: 64 } };
  } else if (concurrency !== current.concurrency) {
    patch.concurrency = concurrency;
  }

  const segments = Number(form.segments.trim());
  if (form.segments.trim() === '' || !Number.isInteger(segments) || segments < 1 || segments > 16) {
    errors.segments = { key: 'segments', values: { min: 1, max: 16 } };
  } else if (segments !== current.segments) {
    patch.segments = segments;
  }

  const speedText = form.speed.trim();
  const speed = speedText === '' ? 0 : Number(speedText);
  if (!Number.isFinite(speed) || speed < 0) {
    errors.speed = { key: 'speed' };
  } else {
    const bytes = Math.round(speed * SPEED_UNITS[form.speedUnit]);
    if (bytes !== current.speedLimit) patch.speedLimit = bytes;
  }

  const proxy = form.proxy.trim();
  if (proxy !== '' && !isProxyUrl(proxy)) errors.proxy = { key: 'proxy' };
  else if (proxy !== current.proxy) patch.proxy = proxy;

  const dirs: NonNullable<SettingsPatch['galleryDirs']> = {};
  for (const kind of ['image', 'video', 'audio'] as const) {
    const value = form[kind].trim();
    if (value !== current.galleryDirs[kind]) dirs[kind] = value;
  }
  if (Object.keys(dirs).length > 0) patch.galleryDirs = dirs;

  return Object.keys(errors).length > 0 ? { errors } : { patch };
}
