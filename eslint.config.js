// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import pluginVue from 'eslint-plugin-vue';

// Imports only go inward (see docs/architecture.md): shared imports nothing of ours, core never electron.
const layer = (files, patterns) => ({
  files,
  rules: { 'no-restricted-imports': ['error', { patterns }] },
});

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'release/**', 'node_modules/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...pluginVue.configs['flat/recommended'],
  {
    files: ['**/*.vue'],
    languageOptions: { parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.vue'] } },
    rules: {
      // Prettier-like formatting is not what lint is for here.
      'vue/max-attributes-per-line': 'off',
      'vue/singleline-html-element-content-newline': 'off',
      'vue/html-self-closing': 'off',
    },
  },
  {
    files: ['src-renderer/**'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  layer(['src-shared/**'], [
    { group: ['**/src-main/**', '**/src-renderer/**', 'electron', 'node:*'], message: 'src-shared imports nothing of ours, no Node and no electron.' },
  ]),
  layer(['src-main/core/**', 'src-main/host/**', 'src-main/cli/**', 'src-main/quickapp/**', 'src-main/router/**', 'src-main/engine-process/**'], [
    { group: ['electron', 'electron-store', '**/electron/**'], message: 'Only src-main/electron may import electron.' },
    { group: ['**/src-renderer/**'], message: 'The main side never imports the renderer.' },
  ]),
  // Electron's main process only brokers: the engine runs in the engine process (src-main/engine-process).
  {
    files: ['src-main/electron/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', {
        patterns: [{
          group: ['**/core/engine.js', '**/host/access.js', '**/router/router.js', '**/engine-process/serve.js', '**/engine-process/entry.js'],
          message: 'Electron\'s main process runs no engine: talk to the engine process through engine-process/client.js.',
          allowTypeImports: true,
        }],
      }],
    },
  },
  layer(['src-renderer/**'], [
    { group: ['**/src-main/**', 'electron', 'node:*'], message: 'The renderer only talks to src-shared and the bridge.' },
  ]),
);
