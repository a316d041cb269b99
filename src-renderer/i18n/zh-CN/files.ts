/** 关于下载文件在磁盘上的状态：已删除、重新下载、未打开。以 t('files.…') 使用。 */
export default {
  deleted: '已删除',
  deletedHint: '文件已不在磁盘上（在“媒体”中或其他地方被删除）。可以重新下载，或移除这一行。',
  downloadAgain: '重新下载',
  notOpened: '未打开：这里只打开图片、视频和音频，其他文件可能会作为程序运行。文件位于 {path}',
};
