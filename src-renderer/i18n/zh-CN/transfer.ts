/** 下载任务行上的传输状态（重试、停滞、能否断点续传）的简体中文文案，以 t('transfer.…') 使用。 */
export default {
  retrying: '{seconds} 秒后重试（第 {attempt} 次，共 {of} 次）',
  retryingNow: '正在重试（第 {attempt} 次，共 {of} 次）',
  retryingTitle: '上一次尝试失败，下载会自动继续。连续 {of} 次没有进展后，下载失败。',
  stalled: '已停滞',
  stalledTitle: '几秒钟内没有收到任何数据。服务器一旦继续发送，下载就会继续。',
  notResumable: '此服务器不支持断点续传：暂停后将从头开始',
  notResumablePaused: '此服务器不支持断点续传：继续时将从头开始下载',
  restarted: '已从头重新开始（丢失 {bytes}）：此服务器不支持断点续传',
  keptOf: '已保留 {done}，共 {total}',
  keptOnly: '已保留 {done}',
  pauseDialog: {
    title: '要暂停此下载吗？',
    text: '“{name}”所在的服务器不支持断点续传。现在暂停，已下载的 {bytes} 将会丢失：继续时会从头开始下载。',
    keep: '继续下载',
    pause: '仍然暂停',
  },
};
