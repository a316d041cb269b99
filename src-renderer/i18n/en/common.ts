export default {
  app: { title: 'Vela Companion' },
  nav: { downloads: 'Downloads', media: 'Media', devices: 'Devices', console: 'API console', settings: 'Settings' },
  common: {
    loading: 'Loading…',
    cancel: 'Cancel',
    save: 'Save',
    delete: 'Delete',
    close: 'Close',
    dismiss: 'Dismiss',
    error: 'Error {code}',
    copied: 'Copied',
    unknown: 'unknown',
    pathShown: 'The file is at {path}',
  },
  session: {
    missingTitle: 'Open the link that `vela-companion serve` printed',
    missingBody: 'This page holds no session. For your safety the key to this app travels only in the link that `serve` printed in its terminal (the part after #secret=), never in a cookie. Open that link in this tab; a reload keeps working afterwards. If `serve` was restarted, use the new link it printed.',
  },
  connection: {
    lost: 'Connection to the engine lost — reconnecting…',
    lostHint: 'If vela-companion serve was restarted, open the new link it printed.',
    refreshing: 'Reconnected; refreshing the list…',
    restored: 'Reconnected; the list was refreshed',
    restarted: 'The engine was restarted: open the new link it printed',
  },
  units: { perSecond: '{size}/s', left: '{time} left' },
};
