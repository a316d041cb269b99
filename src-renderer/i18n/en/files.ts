/** What the window says about a download's file on disk: deleted, downloaded again, not opened. Used as t('files.…'). */
export default {
  deleted: 'Deleted',
  deletedHint: 'The file is no longer on disk (deleted in Media or elsewhere). Download it again, or remove the row.',
  downloadAgain: 'Download again',
  notOpened: 'Not opened: only images, video and audio open from here (other files could run as programs). It is at {path}',
};
