export default {
  app: { title: 'Vela 助手' },
  nav: { downloads: '下载', media: '媒体', devices: '设备', console: 'API 控制台', settings: '设置' },
  common: {
    loading: '加载中…',
    cancel: '取消',
    save: '保存',
    delete: '删除',
    close: '关闭',
    dismiss: '知道了',
    error: '错误 {code}',
    copied: '已复制',
    unknown: '未知',
    pathShown: '文件位于 {path}',
  },
  session: {
    missingTitle: '请打开 `vela-companion serve` 打印的链接',
    missingBody: '此页面没有会话。为了安全，访问本应用的密钥只随 `serve` 在终端中打印的链接传递（#secret= 之后的部分），从不放在 Cookie 中。请在此标签页中打开该链接；之后刷新页面仍然可用。如果 `serve` 已重新启动，请使用它新打印的链接。',
  },
  connection: {
    lost: '与引擎的连接已断开，正在重新连接…',
    lostHint: '如果 vela-companion serve 已重新启动，请打开它新打印的链接。',
    refreshing: '已重新连接，正在刷新列表…',
    restored: '已重新连接，列表已刷新',
    restarted: '引擎已重新启动：请打开它新打印的链接',
  },
  units: { perSecond: '{size}/秒', left: '剩余 {time}' },
};
