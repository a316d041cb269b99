/**
 * The Downloads view's queue tools, in English: the active device profile, bulk actions and the status
 * bar, the choice of profile on a retry, the tab's title and notifications. Used as t('queue.…').
 */
export default {
  profile: {
    label: 'Device profile',
    builtin: 'Built in',
    custom: 'Custom',
    unsupportedOption: '{name} (cannot download)',
    unsupported: 'This device does not support downloads: new ones are refused (203).',
    manage: 'Manage profiles',
  },
  row: {
    select: 'Select {name}',
    retryChoose: 'Retry…',
    retryChooseTitle: 'Retry under its own device profile or the active one',
    retryUnder: 'Retry under {profile}',
    profileTitle: 'Device profile: {profile}',
  },
  retry: {
    title: 'Retry “{name}”',
    text: 'It ran under {own}; the active device profile is now {active}. Which one should the retry use?',
    activeUnsupported: '{active} does not support downloads.',
    own: 'Retry under {profile}',
    active: 'Retry under {profile} (active)',
  },
  bulk: {
    label: 'Actions on several downloads',
    selectAll: 'Select all shown',
    pauseAll: 'Pause all',
    resumeAll: 'Resume all',
    clearCompleted: 'Clear completed',
    selected: '{n} selected',
    pauseSelected: 'Pause ({n})',
    resumeSelected: 'Resume ({n})',
    retrySelected: 'Retry ({n})',
    removeSelected: 'Remove ({n})',
    clearSelection: 'Clear selection',
    removeTitle: 'Remove {n} download? | Remove {n} downloads?',
    removeText: 'Unfinished downloads stop, and what they fetched so far is deleted.',
    removeTextFiles: 'One of them is complete: keep its file, or delete it as well? | {n} of them are complete: keep their files, or delete them as well?',
    removeConfirm: 'Remove',
    failed: {
      pause: '{failed} of {total} downloads could not be paused: {reason}',
      resume: '{failed} of {total} downloads could not be resumed: {reason}',
      retry: '{failed} of {total} downloads could not be retried: {reason}',
      remove: '{failed} of {total} downloads could not be removed: {reason}',
    },
  },
  status: {
    label: 'Download status',
    running: '{n} downloading',
    queued: '{n} queued',
    paused: '{n} paused',
    completed: '{n} completed',
    failed: '{n} failed',
    speed: 'Total {speed}',
    percent: 'Overall {percent}%',
    notify: 'Notify me when downloads finish',
  },
  title: {
    active: '{n} download | {n} downloads',
    paused: '{n} paused',
  },
  notify: {
    completed: 'Download finished',
    failed: 'Download failed',
    manyCompleted: '{n} download finished | {n} downloads finished',
    manyFailed: '{n} download failed | {n} downloads failed',
    mixed: '{done} finished, {failed} failed',
  },
};
