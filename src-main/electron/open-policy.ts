import { mediaKind } from '../core/gallery.js';

/**
 * What "open" may hand to the system's default app: images, video and audio only. Anything else a
 * download brought in (an installer, a script, a .desktop or .lnk file) would run rather than show, so
 * the window answers with its path instead (`done: false`) and the user decides. Pure.
 */
export const mayOpen = (file: string): boolean => mediaKind(file) !== null;
