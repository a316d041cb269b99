import type { ErrorData } from '../../src-shared/codes.js';
import { formatBytes, formatDuration } from '../../src-shared/format.js';
import type { TaskProgress } from '../../src-shared/types.js';

/** How the CLI speaks: one JSON object per line with --json, plain words otherwise. */
export interface Output {
  json: boolean;
  result(value: unknown, human: string): void;
  failure(error: ErrorData & { token?: string }): void;
  progress(progress: TaskProgress): void;
  endProgress(): void;
}

export function createOutput(json: boolean, stream: NodeJS.WriteStream = process.stderr): Output {
  const tty = stream.isTTY === true;
  let lastLine = 0;
  let drawn = false;
  return {
    json,
    result(value, human) {
      process.stdout.write(`${json ? JSON.stringify(value) : human}\n`);
    },
    failure(error) {
      if (json) {
        const body = error.token ? { token: error.token, code: error.code, message: error.message } : { code: error.code, message: error.message };
        process.stdout.write(`${JSON.stringify(body)}\n`);
      } else {
        this.endProgress();
        process.stderr.write(`error ${error.code}: ${error.message}\n`);
      }
    },
    progress(p) {
      if (json) return;
      if (tty) {
        stream.write(`\r${progressBar(p)}\u001b[K`);
        drawn = true;
        return;
      }
      // Piped: a plain line at most once a second, so logs stay readable.
      const now = Date.now();
      if (now - lastLine < 1_000) return;
      lastLine = now;
      stream.write(`${progressText(p)}\n`);
    },
    endProgress() {
      if (drawn) stream.write('\n');
      drawn = false;
    },
  };
}

export function progressBar(p: TaskProgress, width = 24): string {
  const fraction = p.total ? Math.min(1, p.bytes / p.total) : 0;
  const filled = Math.round(fraction * width);
  const bar = p.total ? `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]` : '[ ? ]';
  return `${bar} ${progressText(p)}`;
}

export function progressText(p: TaskProgress): string {
  const percent = p.total ? `${((p.bytes / p.total) * 100).toFixed(1)}% ` : '';
  const of = p.total ? ` of ${formatBytes(p.total)}` : '';
  const eta = p.eta !== null ? `, ${formatDuration(p.eta)} left` : '';
  return `${percent}${formatBytes(p.bytes)}${of} at ${formatBytes(p.speed)}/s${eta}`;
}
