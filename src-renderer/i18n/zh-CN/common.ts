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
  units: { perSecond: '{size}/秒', left: '剩余 {time}' },
};
