import { createI18n } from 'vue-i18n';
import { en } from './en/index.js';
import { zhCN } from './zh-CN/index.js';

/** English and Simplified Chinese, since the watches are sold in both. Each view keeps its own message file. */
export type Locale = 'en' | 'zh-CN';

export const i18n = createI18n({
  legacy: false,
  locale: 'en',
  fallbackLocale: 'en',
  messages: { en, 'zh-CN': zhCN },
});

export function setLocale(locale: Locale): void {
  i18n.global.locale.value = locale;
  document.documentElement.lang = locale;
}
