// ESLint flat config: typescript-eslint's type-checked rules on the runner, the providers, the benchmarks,
// the tests and the web console (browser globals, React's hooks rules). `npm run lint` runs it; .ci/run fails on
// any finding.
import js from "@eslint/js";
import reactHooks from "eslint-plugin-react-hooks";
import globals from "globals";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/**", "dist-bench/**", "node_modules/**", "coverage/**", "examples/**/node_modules/**", "examples/**/dist/**", "examples/cdktf-quickstart/cdktf.out/**", "console/dist/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    files: ["runner/**/*.ts", "provider/**/*.ts", "pg/**/*.ts", "bench/**/*.ts", "test/**/*.ts", "examples/demo/**/*.ts"],
    languageOptions: {
      parserOptions: { project: "./tsconfig.eslint.json", tsconfigRootDir: import.meta.dirname },
      globals: globals.node,
    },
    linterOptions: { reportUnusedDisableDirectives: "error" },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" }],
      // `async` without `await` is deliberate here: it implements promise-returning interfaces (Pulumi's dynamic
      // provider, Express handlers, stop()) so that a throw becomes a rejection instead of escaping synchronously.
      "@typescript-eslint/require-await": "off",
    },
  },
  {
    // The web console: a browser program with its own tsconfig (DOM, JSX).
    files: ["console/src/**/*.ts", "console/src/**/*.tsx"],
    ...reactHooks.configs.flat.recommended,
    languageOptions: {
      parserOptions: { project: "./console/tsconfig.json", tsconfigRootDir: import.meta.dirname },
      globals: globals.browser,
    },
    linterOptions: { reportUnusedDisableDirectives: "error" },
    rules: {
      ...reactHooks.configs.flat.recommended.rules,
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" }],
    },
  },
  {
    // Tests and benchmarks read JSON bodies of HTTP answers and rows of ad-hoc queries: they are `any` by nature
    // and the assertions check their shape, so `any` and the no-unsafe-* family are allowed there (every other
    // type-aware rule stays).
    files: ["test/**/*.ts", "bench/**/*.ts"],
    rules: {
      "@typescript-eslint/no-explicit-any": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-return": "off",
    },
  },
  {
    // The examples (but the demo) are standalone projects that import the installed package; the packaging test
    // type-checks them against it. Here they get the rules that need no type information.
    files: ["examples/**/*.ts"],
    ignores: ["examples/demo/**"],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: ["**/*.js", "**/*.mjs", "**/*.cjs"],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { globals: globals.node },
  },
  {
    // Plain Node scripts and tool configs are CommonJS.
    files: ["**/*.js", "**/*.cjs"],
    languageOptions: { sourceType: "commonjs", globals: globals.node },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
);
