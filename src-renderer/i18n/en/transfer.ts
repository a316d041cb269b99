/** A transfer's live state on its row (retries, stalls, whether it can resume), in English. Used as t('transfer.…'). */
export default {
  retrying: 'Retrying in {seconds} s (attempt {attempt} of {of})',
  retryingNow: 'Retrying now (attempt {attempt} of {of})',
  retryingTitle: 'The last attempt failed; the download goes on by itself. After {of} attempts in a row without progress it fails.',
  stalled: 'Stalled',
  stalledTitle: 'Nothing has arrived for a few seconds. The download goes on as soon as the server sends more.',
  notResumable: 'This server does not support resuming: pausing restarts it',
  notResumablePaused: 'This server does not support resuming: resuming starts over from the beginning',
  restarted: 'Restarted from the beginning ({bytes} lost): this server does not support resuming',
  keptOf: '{done} of {total} kept',
  keptOnly: '{done} kept',
  pauseDialog: {
    title: 'Pause this download?',
    text: 'The server of “{name}” does not support resuming. If you pause now, the {bytes} downloaded so far are lost: the download starts over from the beginning when you resume it.',
    keep: 'Keep downloading',
    pause: 'Pause anyway',
  },
};
