// Type-aware lint plus the layering rules of the README's architecture section.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const restrict = (paths, patterns = []) => ['error', { paths, patterns }];
const noClientNode = {
  name: '@kubernetes/client-node',
  message: 'Only src/kube/ talks to client-node (architecture rule 1).',
};
const noClientNodeDeep = {
  group: ['@kubernetes/client-node/*'],
  message: 'Only src/kube/ talks to client-node (architecture rule 1).',
};
const noCommandImport =
  'A command imports no other command (only the registry, src/commands/index.ts and multicall.ts, does): move what is shared to src/commands/shared/.';
const cliLibs = ['yargs', 'string-width', 'ora'].map((name) => ({
  name,
  message: 'CLI libraries belong in src/cli/ and src/commands/ (rule 2).',
}));

export default tseslint.config(
  { ignores: ['dist/', 'out/', 'node_modules/', 'coverage/', '.bench/', '.scratch/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['*.js', 'scripts/*.mjs', 'scripts/*.cjs'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'no-restricted-syntax': ['error', { selector: 'ExportDefaultDeclaration', message: 'Use named exports.' }],
    },
  },
  {
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': restrict(
        [noClientNode, ...cliLibs],
        [
          noClientNodeDeep,
          {
            group: ['../cli/*', '../kube/*', '../commands/*', 'node:*'],
            message: 'core is pure: semver and core only.',
          },
        ],
      ),
    },
  },
  {
    files: ['src/kube/**/*.ts'],
    rules: {
      'no-restricted-imports': restrict(cliLibs, [
        { group: ['../cli/*', '../commands/*'], message: 'kube implements core ports only.' },
      ]),
    },
  },
  {
    files: ['src/cli/**/*.ts', 'src/commands/**/*.ts'],
    rules: { 'no-restricted-imports': restrict([noClientNode], [noClientNodeDeep]) },
  },
  // A command never imports another command; only the registry does. What several commands share lives in src/commands/shared/.
  {
    files: ['src/commands/*.ts'],
    ignores: ['src/commands/index.ts', 'src/commands/multicall.ts'],
    rules: {
      'no-restricted-imports': restrict(
        [noClientNode],
        [noClientNodeDeep, { regex: '^\\./(?!shared/)', message: noCommandImport }],
      ),
    },
  },
  {
    files: ['src/commands/shared/**/*.ts'],
    rules: {
      'no-restricted-imports': restrict(
        [noClientNode],
        [noClientNodeDeep, { regex: '^\\.\\./[^./]', message: noCommandImport }],
      ),
    },
  },
  {
    files: ['src/bin/**/*.ts'],
    rules: {
      'no-restricted-imports': restrict(
        [noClientNode, ...cliLibs],
        [noClientNodeDeep, { group: ['../core/*', '../kube/*'], message: 'bin wires run + commands only.' }],
      ),
    },
  },
  {
    files: ['test/**/*.ts', 'scripts/**'],
    rules: {
      '@typescript-eslint/no-floating-promises': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/require-await': 'off',
    },
  },
  { files: ['**/*.js', '**/*.mjs', '**/*.cjs'], ...tseslint.configs.disableTypeChecked },
  { files: ['**/*.js', '**/*.mjs', '**/*.cjs'], languageOptions: { globals: globals.node } },
  // CommonJS on purpose: the executable's SEA main script and the code-cache trainer (scripts/sea-main.cjs).
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  { files: ['eslint.config.js'], rules: { 'no-restricted-syntax': 'off' } },
);
