import { app, type Session } from 'electron';
import { allowNavigation, allowPermission } from './security-policy.js';

/**
 * Every web contents the app ever creates stays on app://: navigation elsewhere and redirects are
 * cancelled, new windows are denied, <webview> cannot attach. Called before `ready`, so it covers the
 * first window too.
 */
export function blockNavigation(): void {
  app.on('web-contents-created', (_event, contents) => {
    contents.setWindowOpenHandler(() => ({ action: 'deny' }));
    contents.on('will-navigate', (event) => {
      if (!allowNavigation(event.url)) event.preventDefault();
    });
    contents.on('will-frame-navigate', (event) => {
      if (!allowNavigation(event.url)) event.preventDefault();
    });
    contents.on('will-redirect', (event) => {
      if (!allowNavigation(event.url)) event.preventDefault();
    });
    contents.on('will-attach-webview', (event) => event.preventDefault());
  });
}

/** Every permission the page might ask for (or that Chromium checks silently) is denied. */
export function denyPermissions(session: Session): void {
  session.setPermissionRequestHandler((_contents, permission, callback) => callback(allowPermission(permission)));
  session.setPermissionCheckHandler((_contents, permission) => allowPermission(permission));
  session.setDevicePermissionHandler(() => false);
}
