/** Public entry of the runner package: start one in-process (tests, embedding) or use its schemas. */
export { loadConfig, type Config } from "./config";
export { startRunner, type Runner, type RunnerOptions } from "./runtime";
export { createApp, type AppDeps } from "./app";
export { AppError, type ErrorBody, type ErrorCode } from "./errors";
export * as schemas from "./schemas";
export { setupSql, defaultOwner, type SetupSqlOptions } from "./postgres/setup-sql";
export type { Difference, DifferenceKind, PairCheckReport } from "./postgres/pair-check";
