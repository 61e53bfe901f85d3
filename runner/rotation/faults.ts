/**
 * Typed test-only fault hooks (pg-boss style): the engine calls each at its step boundary ("insideCommit":
 * the commit statement — one statement, so one transaction — is built and about to be sent). A hook that
 * throws `SimulatedCrash` makes the engine stop right there as if the process had died: no failure
 * handling, no cleanup, the lease and intent stay as a crash would leave them. A hook that throws anything else
 * is a failure at that step (e.g. "createCleanup": the store refusing to remove or record a failed create).
 */
export type FaultPoint = "afterUsageRead" | "afterIntent" | "afterAlter" | "afterVerify" | "insideCommit" | "createCleanup";

export type FaultHooks = Partial<Record<FaultPoint, (ctx: { rotationId: string; targetIndex: number }) => void | Promise<void>>>;

export class SimulatedCrash extends Error {
  constructor(point: FaultPoint) {
    super(`simulated crash at ${point}`);
    this.name = "SimulatedCrash";
  }
}

export async function fault(hooks: FaultHooks | undefined, point: FaultPoint, rotationId: string, targetIndex: number): Promise<void> {
  const hook = hooks?.[point];
  if (hook) await hook({ rotationId, targetIndex });
}

const POINTS: FaultPoint[] = ["afterIntent", "afterAlter", "afterVerify", "insideCommit"];

/**
 * Test-only, for crash soaks of the real process: PGROTATE_TEST_CRASH_AT=<point> makes the process kill itself
 * with SIGKILL the first time a rotation reaches that step boundary. Unset in production: no hooks at all.
 */
export function crashHooksFromEnv(env: NodeJS.ProcessEnv = process.env): FaultHooks | undefined {
  const point = env.PGROTATE_TEST_CRASH_AT;
  if (!point) return undefined;
  if (!POINTS.includes(point as FaultPoint)) throw new Error(`PGROTATE_TEST_CRASH_AT must be one of ${POINTS.join(", ")}`);
  return { [point]: () => void process.kill(process.pid, "SIGKILL") };
}
