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
  units: { perSecond: '{size}/s', left: '{time} left' },
};
