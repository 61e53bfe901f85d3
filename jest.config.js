/** One PostgreSQL cluster per major for the whole run (test/global-setup.ts); a database per test file. */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  // test/image/ builds and runs the container image (minutes, needs podman): only `npm run test:image` runs it.
  testPathIgnorePatterns: ["/node_modules/", "<rootDir>/test/image/"],
  transform: { "^.+\\.ts$": ["ts-jest", { tsconfig: "tsconfig.test.json" }] },
  globalSetup: "<rootDir>/test/global-setup.ts",
  globalTeardown: "<rootDir>/test/global-teardown.ts",
  testTimeout: 60000,
  // Examples import the package by name; in-tree tests resolve it to the sources (test/package.test.ts installs the real tarball).
  moduleNameMapper: { "^pgrotate/provider$": "<rootDir>/provider/index.ts" },
  maxWorkers: 2,
};
