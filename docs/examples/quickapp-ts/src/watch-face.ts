/**
 * The logic of a watch-face page, written as for the watch: it imports `@system.request`, downloads
 * the face, and moves on with the file's uri (on the watch: `router.push` to the preview page). The
 * page's view and router are the two hooks, so tests and src/main.ts can stand in for them.
 */
import request from '@system.request';

export type FaceState =
  | { step: 'idle' }
  | { step: 'downloading'; token?: string }
  | { step: 'ready'; uri: string }
  | { step: 'failed'; code: number; message: string };

export interface FacePageHooks {
  /** The face is on the watch: go on with it (on the watch, `router.push({ uri: '/pages/preview', params: { face: uri } })`). */
  moveOn(uri: string): void;
  /** Tell the user why not. */
  showError(message: string, code: number): void;
}

/** What the user reads for each fail code (switch on the code, never on the message). */
export function explain(code: number): string {
  switch (code) {
    case 203:
      return 'This watch cannot download watch faces.';
    case 1000:
      return 'The download failed. Check the connection and try again.';
    case 1001:
      return 'The download was lost. Try again.';
    default:
      return `Something went wrong (${code}).`;
  }
}

export interface FacePage {
  state: FaceState;
  install(url: string): void;
}

export function createFacePage(hooks: FacePageHooks): FacePage {
  const page: FacePage = {
    state: { step: 'idle' },
    install(url) {
      page.state = { step: 'downloading' };
      const failed = (message: string, code: number): void => {
        page.state = { step: 'failed', code, message };
        hooks.showError(explain(code), code);
      };
      request.download({
        url,
        filename: 'face.bin',
        description: 'Watch face',
        success: ({ token }) => {
          page.state = { step: 'downloading', token };
          request.onDownloadComplete({
            token,
            success: ({ uri }) => {
              page.state = { step: 'ready', uri };
              hooks.moveOn(uri);
            },
            fail: failed,
          });
        },
        fail: failed,
      });
    },
  };
  return page;
}
