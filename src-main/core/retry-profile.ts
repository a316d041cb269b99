import { FailCode, VelaError } from '../../src-shared/codes.js';
import { validateToken } from '../../src-shared/validate.js';
import type { ProfileRegistry } from './profiles.js';
import type { TaskStore } from './store.js';
import { assertAction } from './task-state.js';

/**
 * A retry under another device profile (the window offers the task's own profile or the active one):
 * before the task goes back in the queue it takes that profile, and the rules a new task copies from
 * its profile (storage partition, listener rule), as if it were created under it now. The bytes it
 * already has stay (partial files do not depend on the profile). A profile that cannot download is
 * refused with 203, as `download` refuses it; a task that cannot be retried is refused as `retry`
 * refuses it, before anything changes. The engine's `retry` then records and announces the task.
 */
export function switchProfileForRetry(store: TaskStore, profiles: ProfileRegistry, token: unknown, profileId: string): void {
  const id = validateToken(token);
  const task = store.getTask(id);
  if (!task) return; // retry answers 1001 itself
  assertAction(task.state, 'retry');
  const profile = profiles.require(profileId);
  if (!profile.supported) {
    throw new VelaError(FailCode.NotSupported, `${profile.name} does not support system.request downloads (feature not supported)`);
  }
  if (task.profileId === profile.id) return;
  task.profileId = profile.id;
  task.storage = profile.device.storage ?? 'cache';
  task.listenerRule = profile.device.listenerRule ?? 'all';
}
