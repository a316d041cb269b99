/**
 * Device profiles (API.md §3). The built-in rows are facts from the Vela support table; their link and
 * device settings stay empty (no simulation) unless the user makes a custom profile from them.
 */

/** Simulated link conditions. Every field is optional; absent means "no limit / no effect". */
export interface LinkSimulation {
  /** Tasks wait for the network and go on when the profile is back online. */
  offline?: boolean;
  /** With `offline`, fail a waiting task with 1000 after this many milliseconds. */
  offlineTimeoutMs?: number;
  /** Bandwidth cap in bytes per second, shared by all tasks of this profile. */
  bandwidth?: number;
  /** Added latency before each request, in milliseconds. */
  latencyMs?: number;
  /** Chance (0..1) that a connection drops somewhere in its body. */
  packetLoss?: number;
  /** Drop each connection after this many body bytes (exercises resume). */
  dropAfterBytes?: number;
}

export type StoragePartition = 'cache' | 'mass';
export type ListenerRule = 'all' | 'last';

/** Simulated device limits. */
export interface DeviceSimulation {
  /** Cache quota in bytes: a download that would exceed it fails with 1000. */
  quotaBytes?: number;
  /** Cap on concurrent downloads of this profile. */
  maxConcurrent?: number;
  /** Where files land: `internal://cache/` (Vela, default) or `internal://mass/download/` (hapjs). */
  storage?: StoragePartition;
  /** Several listeners on one unfinished token: all answered (default) or only the last (hapjs). */
  listenerRule?: ListenerRule;
}

export interface DeviceProfile {
  id: string;
  name: string;
  builtin: boolean;
  /** Whether `request.download` is supported; unsupported → 203 and nothing is sent. */
  supported: boolean;
  link: LinkSimulation;
  device: DeviceSimulation;
}

export const DESKTOP_PROFILE_ID = 'desktop';

const builtin = (id: string, name: string, supported: boolean): DeviceProfile => ({
  id,
  name,
  builtin: true,
  supported,
  link: {},
  device: {},
});

/** The Desktop profile (no limits, the default) and the Vela support table, in the reference's order. */
export const BUILTIN_PROFILES: readonly DeviceProfile[] = Object.freeze([
  builtin(DESKTOP_PROFILE_ID, 'Desktop', true),
  builtin('s1-pro', 'Xiaomi S1 Pro Sports Health Watch', true),
  builtin('band-8-pro', 'Xiaomi Band 8 Pro', false),
  builtin('watch-s3', 'Xiaomi Watch S3', true),
  builtin('redmi-watch-4', 'Redmi Watch 4', false),
  builtin('ecg-recorder', 'Xiaomi Wrist ECG Blood Pressure Recorder', false),
  builtin('watch-s4', 'Xiaomi Watch S4', true),
  builtin('redmi-watch-5', 'REDMI Watch 5', true),
]);

/** Chrome DevTools network presets, as one-click starting points for a custom profile's link. */
export const LINK_PRESETS: Readonly<Record<string, LinkSimulation>> = Object.freeze({
  'slow-3g': { bandwidth: 50_000, latencyMs: 2_000 },
  'slow-4g': { bandwidth: 180_000, latencyMs: 562.5 },
  'fast-4g': { bandwidth: 1_012_500, latencyMs: 165 },
  offline: { offline: true },
});

/** Custom profile ids: lower-case words joined by dashes, never a built-in id. */
export const PROFILE_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,63}$/;
