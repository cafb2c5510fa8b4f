// ESLint for the web workspace: the recommended JavaScript and TypeScript rules, and
// React's rules of hooks and of their dependencies (a missed one is a stale closure).
import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'packages/client/src/generated/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['packages/react/src/**/*.ts', 'app/src/**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    rules: { ...reactHooks.configs.recommended.rules, 'react-hooks/exhaustive-deps': 'error' },
  },
  {
    files: ['**/*.mjs'],
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', setTimeout: 'readonly', fetch: 'readonly', Headers: 'readonly', WebSocket: 'readonly', window: 'readonly', document: 'readonly', MutationObserver: 'readonly' },
    },
  },
);
