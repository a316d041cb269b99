import {
  BUILTIN_PROFILES,
  LINK_PRESETS,
  PROFILE_ID_PATTERN,
  type DeviceProfile,
  type DeviceSimulation,
  type LinkSimulation,
  type ListenerRule,
  type StoragePartition,
} from '../../../src-shared/profiles.js';

/**
 * The editor's form for a custom profile (API.md §3) and its checks. Numbers are kept as typed text
 * (empty = not set, "no limit"); `fromForm` turns the form into a profile or names what is wrong, with
 * the same limits the engine's schema enforces, so a refusal is shown next to its field.
 */
export interface ProfileForm {
  id: string;
  name: string;
  supported: boolean;
  offline: boolean;
  offlineTimeoutMs: string;
  bandwidth: string;
  latencyMs: string;
  packetLoss: string;
  dropAfterBytes: string;
  quotaBytes: string;
  maxConcurrent: string;
  storage: StoragePartition;
  listenerRule: ListenerRule;
}

export type NumberField = 'offlineTimeoutMs' | 'bandwidth' | 'latencyMs' | 'packetLoss' | 'dropAfterBytes' | 'quotaBytes' | 'maxConcurrent';
export type FormField = keyof ProfileForm;

/** What is wrong with a field: a message key under `devices.errors`, with its values. */
export interface FieldError {
  key: string;
  values?: Record<string, string | number>;
}

export type FormErrors = Partial<Record<FormField, FieldError>>;

interface NumberRule {
  min: number;
  /** The value must be above `min`, not equal to it. */
  above?: boolean;
  max?: number;
  integer?: boolean;
}

export const NUMBER_RULES: Record<NumberField, NumberRule> = {
  offlineTimeoutMs: { min: 0 },
  bandwidth: { min: 0 },
  latencyMs: { min: 0, max: 600_000 },
  packetLoss: { min: 0, max: 1 },
  dropAfterBytes: { min: 0, above: true, integer: true },
  quotaBytes: { min: 0 },
  maxConcurrent: { min: 1, max: 64, integer: true },
};

export const PRESET_IDS = Object.keys(LINK_PRESETS);

const text = (n: number | undefined): string => (n === undefined ? '' : String(n));

export function emptyForm(): ProfileForm {
  return {
    id: '',
    name: '',
    supported: true,
    offline: false,
    offlineTimeoutMs: '',
    bandwidth: '',
    latencyMs: '',
    packetLoss: '',
    dropAfterBytes: '',
    quotaBytes: '',
    maxConcurrent: '',
    storage: 'cache',
    listenerRule: 'all',
  };
}

export function toForm(profile: DeviceProfile): ProfileForm {
  const { link, device } = profile;
  return {
    id: profile.id,
    name: profile.name,
    supported: profile.supported,
    offline: link.offline ?? false,
    offlineTimeoutMs: text(link.offlineTimeoutMs),
    bandwidth: text(link.bandwidth),
    latencyMs: text(link.latencyMs),
    packetLoss: text(link.packetLoss),
    dropAfterBytes: text(link.dropAfterBytes),
    quotaBytes: text(device.quotaBytes),
    maxConcurrent: text(device.maxConcurrent),
    storage: device.storage ?? 'cache',
    listenerRule: device.listenerRule ?? 'all',
  };
}

/** A preset replaces the link settings (a starting point); the device settings stay as they are. */
export function applyPreset(form: ProfileForm, presetId: string): ProfileForm {
  const preset = LINK_PRESETS[presetId];
  if (!preset) return form;
  return {
    ...form,
    offline: preset.offline ?? false,
    offlineTimeoutMs: text(preset.offlineTimeoutMs),
    bandwidth: text(preset.bandwidth),
    latencyMs: text(preset.latencyMs),
    packetLoss: text(preset.packetLoss),
    dropAfterBytes: text(preset.dropAfterBytes),
  };
}

/** The preset whose link settings the form holds exactly, if any. */
export function matchingPreset(form: ProfileForm): string | undefined {
  return PRESET_IDS.find((id) => {
    const preset = applyPreset(form, id);
    return (['offline', 'offlineTimeoutMs', 'bandwidth', 'latencyMs', 'packetLoss', 'dropAfterBytes'] as const).every((k) => preset[k] === form[k]);
  });
}

/** A profile id made from a name: lower-case words joined by dashes. */
export function slugify(name: string): string {
  return name
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64)
    .replace(/-+$/, '');
}

function readNumber(field: NumberField, raw: string, errors: FormErrors): number | undefined {
  const trimmed = raw.trim();
  if (trimmed === '') return undefined;
  const value = Number(trimmed);
  const rule = NUMBER_RULES[field];
  if (!Number.isFinite(value)) {
    errors[field] = { key: 'number' };
  } else if (rule.integer && !Number.isInteger(value)) {
    errors[field] = { key: 'integer' };
  } else if (rule.above ? value <= rule.min : value < rule.min) {
    errors[field] = { key: rule.above ? 'above' : 'min', values: { min: rule.min } };
  } else if (rule.max !== undefined && value > rule.max) {
    errors[field] = { key: 'max', values: { max: rule.max } };
  } else {
    return value;
  }
  return undefined;
}

/**
 * The profile the form describes, or the errors per field. `takenIds` are the ids a new profile may not
 * use (every existing one); an edited profile keeps its own id.
 */
export function fromForm(form: ProfileForm, options: { isNew: boolean; takenIds: readonly string[] }): { profile: DeviceProfile } | { errors: FormErrors } {
  const errors: FormErrors = {};
  const id = form.id.trim();
  const name = form.name.trim();
  if (id === '') errors.id = { key: 'required' };
  else if (!PROFILE_ID_PATTERN.test(id)) errors.id = { key: 'idPattern' };
  else if (BUILTIN_PROFILES.some((p) => p.id === id)) errors.id = { key: 'idBuiltin' };
  else if (options.isNew && options.takenIds.includes(id)) errors.id = { key: 'idTaken' };
  if (name === '') errors.name = { key: 'required' };
  else if (name.length > 120) errors.name = { key: 'tooLong', values: { max: 120 } };

  const n = (field: NumberField): number | undefined => readNumber(field, form[field], errors);
  const link: LinkSimulation = {};
  const device: DeviceSimulation = {};
  if (form.offline) link.offline = true;
  const offlineTimeoutMs = n('offlineTimeoutMs');
  if (offlineTimeoutMs !== undefined && form.offline) link.offlineTimeoutMs = offlineTimeoutMs;
  const set = <T extends object, K extends keyof T>(target: T, key: K, value: T[K] | undefined): void => {
    if (value !== undefined) target[key] = value;
  };
  set(link, 'bandwidth', n('bandwidth'));
  set(link, 'latencyMs', n('latencyMs'));
  set(link, 'packetLoss', n('packetLoss'));
  set(link, 'dropAfterBytes', n('dropAfterBytes'));
  set(device, 'quotaBytes', n('quotaBytes'));
  set(device, 'maxConcurrent', n('maxConcurrent'));
  if (form.storage !== 'cache') device.storage = form.storage;
  if (form.listenerRule !== 'all') device.listenerRule = form.listenerRule;

  if (Object.keys(errors).length > 0) return { errors };
  return { profile: { id, name, builtin: false, supported: form.supported, link, device } };
}
