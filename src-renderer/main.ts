import { createPinia } from 'pinia';
import { createApp } from 'vue';
import App from './App.vue';
import { hasSession } from './bridge.js';
import NoSession from './components/NoSession.vue';
import { i18n, setLocale } from './i18n/index.js';
import { watchSessionFragment } from './session.js';
import './style.css';

watchSessionFragment();

if (hasSession()) {
  createApp(App).use(createPinia()).use(i18n).mount('#app');
} else {
  // No engine to ask for the language setting: follow the browser's.
  if (navigator.language.toLowerCase().startsWith('zh')) setLocale('zh-CN');
  createApp(NoSession).use(i18n).mount('#app');
}
