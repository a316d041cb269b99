import { shell } from 'electron';
import type { DesktopShell } from '../router/handlers.js';
import { mayOpen } from './open-policy.js';

/**
 * Reveal and open, answering the engine process's `shell` requests (its router's shell.* channels).
 * The router has already confined the path to a task's file or the media partitions; "open" further
 * refuses what would run rather than show.
 */
export const electronShell: DesktopShell = {
  kind: 'electron',
  reveal: async (file) => {
    shell.showItemInFolder(file);
    return true;
  },
  open: async (file) => {
    if (!mayOpen(file)) return false;
    return (await shell.openPath(file)) === '';
  },
};
