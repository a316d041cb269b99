import { FailCode, VelaError } from '../../src-shared/codes.js';
import { BUILTIN_PROFILES, DESKTOP_PROFILE_ID, type DeviceProfile } from '../../src-shared/profiles.js';
import { deviceProfileSchema } from '../../src-shared/schemas.js';
import type { TaskStore } from './store.js';

/** The built-in profiles plus the user's custom ones (kept in the store). Built-ins are read-only. */
export class ProfileRegistry {
  constructor(private readonly store: TaskStore) {}

  list(): DeviceProfile[] {
    return [...BUILTIN_PROFILES.map((p) => structuredClone(p)), ...this.store.customProfiles];
  }

  /** Read-only lookup (the engine does one per task and per schedule): no copies, unlike list(). */
  find(id: string): DeviceProfile | undefined {
    return BUILTIN_PROFILES.find((p) => p.id === id) ?? this.store.customProfiles.find((p) => p.id === id);
  }

  /** The profile or a 202 that tells how to see the right ids. */
  require(id: string): DeviceProfile {
    const profile = this.find(id);
    if (!profile) {
      throw new VelaError(FailCode.IllegalArgument, `unknown device profile "${id}" (see \`vela-companion devices\` for the ids)`);
    }
    return profile;
  }

  get default(): DeviceProfile {
    return this.find(this.store.settings.activeProfile) ?? this.require(DESKTOP_PROFILE_ID);
  }

  /** Create or replace a custom profile. */
  save(input: unknown): DeviceProfile {
    const parsed = deviceProfileSchema.safeParse(input);
    if (!parsed.success) {
      throw new VelaError(FailCode.IllegalArgument, `invalid device profile: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'profile'}: ${i.message}`).join('; ')}`);
    }
    const profile: DeviceProfile = { ...parsed.data, builtin: false };
    if (BUILTIN_PROFILES.some((p) => p.id === profile.id)) {
      throw new VelaError(FailCode.IllegalArgument, `"${profile.id}" is a built-in profile and cannot be changed; save it under another id`);
    }
    const others = this.store.customProfiles.filter((p) => p.id !== profile.id);
    this.store.setCustomProfiles([...others, profile]);
    return profile;
  }

  remove(id: string): void {
    if (BUILTIN_PROFILES.some((p) => p.id === id)) {
      throw new VelaError(FailCode.IllegalArgument, `"${id}" is a built-in profile and cannot be removed`);
    }
    this.store.setCustomProfiles(this.store.customProfiles.filter((p) => p.id !== id));
  }
}
