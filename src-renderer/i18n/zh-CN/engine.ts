export default {
  crashed: '下载引擎意外停止（{detail}），正在重新启动…',
  back: '下载引擎已重新运行，未完成的下载将从中断处继续。',
};
