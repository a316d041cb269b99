/**
 * A strict page written as for the watch: it imports `@system.request` (and `@system/request`), which
 * `vela-companion/quickapp` declares. Also checks that code typed against the quick-app declarations
 * found in the wild (`download(obj): void`, `success({ token })`, `fail(data, code)`) is accepted.
 */
/// <reference types="vela-companion/quickapp" />
import request from '@system.request';
import slashRequest, { onDownloadComplete, type FailCode } from '@system/request';

request.download({
  url: 'http://127.0.0.1:8080/face.bin',
  success: function (data) {
    request.onDownloadComplete({
      token: data.token,
      success: function (data) {
        console.log(`handling success ${data.uri}`);
      },
      fail: function (data, code) {
        console.log(`handling fail, code = ${code}: ${data.trim()}`);
      },
    });
  },
  fail: function (data, code: FailCode) {
    console.log(`handling fail, code = ${code}`);
  },
});

slashRequest.download({ url: 'http://127.0.0.1:8080/a', complete: () => {} });
onDownloadComplete({ token: '123', fail: (_data, code) => console.log(code === 1001) });

// The shape quick-app TypeScript declarations in the wild give these two calls.
interface WildDownloadObject {
  url: string;
  header?: string;
  description?: string;
  filename?: string;
  success?: (data: { token: string }) => void;
  fail?: (data: any, code: number) => void; // eslint-disable-line @typescript-eslint/no-explicit-any -- as the wild declarations have it
  complete?: () => void;
}
interface WildOnDownloadCompleteObject {
  token: string;
  success?: (data: { uri: string }) => void;
  fail?: (data: any, code: number) => void; // eslint-disable-line @typescript-eslint/no-explicit-any -- as the wild declarations have it
  complete?: () => void;
}
interface WildRequest {
  download(obj: WildDownloadObject): void;
  onDownloadComplete(obj: WildOnDownloadCompleteObject): void;
}

// An object built against those declarations is accepted as it is,
export function fromWildCode(obj: WildDownloadObject, listen: WildOnDownloadCompleteObject): void {
  request.download(obj);
  request.onDownloadComplete(listen);
}
// and our module can stand where code expects their module.
export const asWild: WildRequest = request;

// ---- wrong uses ----------------------------------------------------------------------------

request.download({
  url: 'http://127.0.0.1:8080/a',
  success: (data) => {
    // @ts-expect-error -- a token is a string, not a number
    const n: number = data.token;
    console.log(n);
  },
});

// @ts-expect-error -- `priority` is not an option of download
request.download({ url: 'http://127.0.0.1:8080/a', priority: 1, complete: () => {} });

// @ts-expect-error -- onDownloadComplete needs the token
slashRequest.onDownloadComplete({ complete: () => {} });

// @ts-expect-error -- the module has no upload in vela-companion
request.upload({ url: 'http://127.0.0.1:8080/a' });
