/**
 * Typed test-only fault hooks (pg-boss style): the engine calls each at its step boundary. A hook that
 * throws `SimulatedCrash` makes the engine stop right there as if the process had died: no failure
 * handling, no cleanup, the lease and intent stay as a crash would leave them.
 */
export type FaultPoint = "afterIntent" | "afterAlter" | "afterVerify" | "insideCommit";

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
