import { mediaKind } from './gallery.js';

/**
 * What "open" may hand to the system's default app: images, video and audio only, by the name (the
 * system picks the app by the name). Anything else a download brought in (an installer, a script, a
 * .desktop or .lnk file) would run rather than show, so every front door (the Electron window, the
 * browser host) answers with its path instead (`done: false`) and the user decides. Pure.
 */
export const mayOpen = (file: string): boolean => mediaKind(file) !== null;
