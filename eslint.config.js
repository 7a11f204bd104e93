import js from '@eslint/js';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import ts from 'typescript-eslint';

/** Who may import whom (VS Code's layering rule): each folder lists what it must not reach. */
const layer = (files, patterns) => ({
  files,
  rules: { 'no-restricted-imports': ['error', { patterns }] },
});

const electronOnly = { group: ['electron', 'electron/*'], message: 'only src-main/electron/ may import electron' };
const nodeOnlyInRenderer = {
  group: ['node:*', 'better-sqlite3', 'sharp', 'ws', 'zod', '**/src-main/**'],
  message: 'the renderer talks only to window.brink; import types from the contract',
};

export default ts.config(
  { ignores: ['out/**', 'node_modules/**', 'test-results/**', 'playwright-report/**', 'resources/**', 'tools/**/*.py'] },
  js.configs.recommended,
  ...ts.configs.recommended,
  ...svelte.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: { parserOptions: { parser: ts.parser, extraFileExtensions: ['.svelte'] }, globals: { ...globals.browser } },
  },
  { files: ['src-renderer/**'], languageOptions: { globals: { ...globals.browser } } },
  layer(['src-main/engine/**'], [
    electronOnly,
    {
      group: ['better-sqlite3', 'node:net', 'node:http', 'node:child_process', '**/store/**', '**/jobs/**', '**/service/**', '**/web/**', '**/cli/**'],
      message: 'engine/ is pure computation: no storage, jobs, service or networking',
    },
  ]),
  layer(['src-main/store/**', 'src-main/service/**', 'src-main/cli/**', 'src-main/web/**', 'src-main/jobs/**', 'src-main/worker/**', 'src-main/report/**'], [electronOnly]),
  layer(['src-main/service/**', 'src-main/store/**'], [
    electronOnly,
    { group: ['**/web/**', '**/cli/**', '**/electron/**'], message: 'the service knows no transport' },
  ]),
  layer(['src-main/store/**'], [
    electronOnly,
    { group: ['**/web/**', '**/cli/**', '**/electron/**'], message: 'the service knows no transport' },
    {
      group: ['**/engine/metrics/**', '**/engine/margins/**', '**/engine/attacks/**'],
      message: 'the store only reads and writes rows: engine/metrics computes, service/run-analysis composes',
    },
  ]),
  layer(['src-renderer/**'], [electronOnly, nodeOnlyInRenderer]),
);
