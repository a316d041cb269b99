/**
 * Where the window opens: where it was last time, when that place is still on a screen. Saved in the
 * shell's own electron-store (electron-conf.ts), not in the engine's store. Pure: the displays' work
 * areas come in as data.
 */

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface SavedBounds extends Rect {
  maximized: boolean;
}

/** The window's smallest size (window.ts); a saved size below it is raised to it. */
export const MIN_WINDOW = { width: 720, height: 480 } as const;

/** How much of the title bar must lie on some screen for the place to count as visible. */
const VISIBLE = { width: 120, height: 40 } as const;

const isInt = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value);

/** The saved bounds to open with, or undefined (first launch, a screen that is gone, a damaged entry). */
export function boundsToRestore(saved: unknown, workAreas: readonly Rect[]): SavedBounds | undefined {
  if (typeof saved !== 'object' || saved === null) return undefined;
  const { x, y, width, height, maximized } = saved as Partial<SavedBounds>;
  if (!isInt(x) || !isInt(y) || !isInt(width) || !isInt(height) || width <= 0 || height <= 0) return undefined;
  const size = { width: Math.max(width, MIN_WINDOW.width), height: Math.max(height, MIN_WINDOW.height) };
  const titleBar = { x, y, width: size.width, height: VISIBLE.height };
  const onScreen = workAreas.some((area) => overlap(titleBar, area, VISIBLE.width, VISIBLE.height));
  if (!onScreen) return undefined;
  return { x, y, ...size, maximized: maximized === true };
}

function overlap(a: Rect, b: Rect, minWidth: number, minHeight: number): boolean {
  const width = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const height = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  return width >= minWidth && height >= Math.min(minHeight, a.height);
}
