/**
 * One `Range: bytes=…` header against a file of `size` bytes, as video and audio elements send them
 * when they seek. Pure, so the media protocol's answers are tested without Electron.
 *
 * - no header, or one we do not serve (several ranges, other units): the whole file (200);
 * - `bytes=a-b`, `bytes=a-`, `bytes=-n` (the last n bytes): that slice (206), the end clamped to the file;
 * - a start at or past the end: 416.
 */
export type RangeAnswer = { kind: 'whole' } | { kind: 'partial'; start: number; end: number } | { kind: 'unsatisfiable' };

export function parseRange(header: string | null | undefined, size: number): RangeAnswer {
  const match = /^bytes=(\d*)-(\d*)$/.exec((header ?? '').trim());
  if (!match || (match[1] === '' && match[2] === '')) return { kind: 'whole' };
  const [, first = '', last = ''] = match;
  let start: number;
  let end: number;
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0) return { kind: 'unsatisfiable' };
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(first);
    end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  }
  if (!Number.isSafeInteger(start) || start >= size || start > end) return { kind: 'unsatisfiable' };
  return { kind: 'partial', start, end };
}
