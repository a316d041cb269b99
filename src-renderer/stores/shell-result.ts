import type { ShellResult } from '../../src-shared/channels.js';
import { i18n } from '../i18n/index.js';
import { useNotices, type PushOptions } from './notices.js';

/**
 * What the window says after Open or Show in folder: nothing when the system did it; the path when it
 * could not, and why when "open" refused a file that is not an image, video or audio file.
 */
export function reportShellResult(result: ShellResult, options?: PushOptions): void {
  if (result.done) return;
  const { t } = i18n.global;
  if (result.reason === 'not-media') useNotices().info(t('files.notOpened', { path: result.path }), options);
  else useNotices().info(t('common.pathShown', { path: result.path }), options);
}
