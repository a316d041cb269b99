/**
 * The tray icon, drawn in code so it can show progress: a ring whose arc fills clockwise from the top.
 * Idle: the full ring in the accent colour. Busy: a grey track with the done part in the accent colour
 * (a quarter when no size is known). Returns raw premultiplied BGRA pixels for
 * `nativeImage.createFromBitmap`. Pure.
 */

export type IconState = { kind: 'idle' } | { kind: 'busy'; fraction: number | null };

type Rgba = readonly [number, number, number, number];

const ACCENT: Rgba = [0x2f, 0x7c, 0xf6, 0xff];
const TRACK: Rgba = [0x8a, 0x8a, 0x8a, 0xb0];

const clamp01 = (value: number): number => Math.min(1, Math.max(0, value));

export function ringBitmap(size: number, state: IconState): Buffer {
  if (!Number.isInteger(size) || size < 8 || size > 256) throw new RangeError(`icon size ${size}`);
  const pixels = Buffer.alloc(size * size * 4);
  const centre = size / 2;
  const outer = size / 2 - 0.5;
  const inner = outer - Math.max(2, size * 0.2);
  const filled = state.kind === 'idle' ? 1 : clamp01(state.fraction ?? 0.25);
  for (let y = 0; y < size; y += 1) {
    for (let x = 0; x < size; x += 1) {
      const dx = x + 0.5 - centre;
      const dy = y + 0.5 - centre;
      const distance = Math.hypot(dx, dy);
      // Anti-aliased edges: coverage ramps over one pixel at both radii.
      const coverage = clamp01(outer + 0.5 - distance) * clamp01(distance - inner + 0.5);
      if (coverage === 0) continue;
      let turn = Math.atan2(dx, -dy) / (2 * Math.PI);
      if (turn < 0) turn += 1;
      const [r, g, b, a] = turn <= filled ? ACCENT : TRACK;
      const alpha = (a / 255) * coverage;
      const offset = (y * size + x) * 4;
      pixels[offset] = Math.round(b * alpha);
      pixels[offset + 1] = Math.round(g * alpha);
      pixels[offset + 2] = Math.round(r * alpha);
      pixels[offset + 3] = Math.round(alpha * 255);
    }
  }
  return pixels;
}

/** The icon state for an overall figure, bucketed to whole percents so the tray is redrawn rarely. */
export function iconStateFor(active: number, fraction: number | null): IconState {
  if (active === 0) return { kind: 'idle' };
  return { kind: 'busy', fraction: fraction === null ? null : Math.floor(fraction * 100) / 100 };
}

export const sameIcon = (a: IconState, b: IconState): boolean =>
  a.kind === b.kind && (a.kind === 'idle' || (b.kind === 'busy' && a.fraction === b.fraction));
