/**
 * A strict page that imports `vela-companion/system.request` itself. Every `@ts-expect-error` line is
 * a wrong use that must not compile: if the types were `any`, the directive would be unused and tsc
 * would fail on it.
 */
import request, { configure, download, onDownloadComplete } from 'vela-companion/system.request';
import type { Answer, DownloadSuccess, FailCode, RequestFailure } from 'vela-companion/system.request';

// The callback form returns nothing; the callbacks get typed arguments.
const nothing: void = request.download({
  url: 'http://127.0.0.1:8080/face.bin',
  header: { Authorization: 'Bearer x' },
  filename: 'face.bin',
  description: 'Watch face',
  success: (data) => {
    const token: string = data.token;
    onDownloadComplete({
      token,
      success: ({ uri }) => console.log(uri.startsWith('internal://')),
      fail: (data, code) => console.log(data.toUpperCase(), code),
      complete: () => {},
    });
  },
  fail: (data: string, code: FailCode) => {
    const known: 202 | 203 | 1000 | 1001 | 500 = code;
    console.log(data, known);
  },
});
console.log(nothing);

// `header` may be a string holding a JSON object (the Vela reference types it so).
download({ url: 'http://127.0.0.1:8080/a', header: '{"X-Face":"1"}', complete: () => {} });

// Without callbacks: a Promise of { data }.
export async function promiseForm(): Promise<string> {
  const started: Answer<DownloadSuccess> = await request.download({ url: 'http://127.0.0.1:8080/a' });
  const { data } = await onDownloadComplete({ token: started.data.token });
  try {
    await request.onDownloadComplete({ token: '123' });
  } catch (error) {
    const { code }: RequestFailure = error as RequestFailure;
    if (code === 1001) return 'no such task';
  }
  return data.uri;
}

configure({ device: 'watch-s4', dataDir: '/tmp/vela' });
configure({ device: { id: 'slow-3g', link: { bandwidth: 50_000, latencyMs: 2_000 }, device: { storage: 'mass' } } });
request.configure({ device: '' });

// ---- wrong uses ----------------------------------------------------------------------------

download({
  url: 'http://127.0.0.1:8080/a',
  success: (data) => {
    // @ts-expect-error -- a token is a string, not a number
    const n: number = data.token;
    console.log(n);
  },
});

// @ts-expect-error -- a token is a string
onDownloadComplete({ token: 123, complete: () => {} });

// @ts-expect-error -- `retries` is not an option of download
download({ url: 'http://127.0.0.1:8080/a', retries: 3, complete: () => {} });

// @ts-expect-error -- url is required
download({ filename: 'a.bin', complete: () => {} });

// @ts-expect-error -- a header value is a string
download({ url: 'http://127.0.0.1:8080/a', header: { 'X-Count': 1 }, complete: () => {} });

// @ts-expect-error -- with callbacks the call returns nothing, not a Promise
void download({ url: 'http://127.0.0.1:8080/a', success: () => {} }).then(() => {});

export async function wrongPromise(): Promise<void> {
  const { data } = await download({ url: 'http://127.0.0.1:8080/a' });
  // @ts-expect-error -- download answers a token, not a uri
  console.log(data.uri);
}

onDownloadComplete({
  token: 'x',
  // @ts-expect-error -- success gets { uri }, not a string
  success: (uri: number) => console.log(uri),
});

download({
  url: 'http://127.0.0.1:8080/a',
  fail: (_data, code) => {
    // @ts-expect-error -- 404 is an HTTP status, never a fail code (that is 1000)
    if (code === 404) console.log('not found');
  },
});

// @ts-expect-error -- configure takes no `profile`
configure({ profile: 'watch-s4' });
