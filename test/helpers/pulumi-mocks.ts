/**
 * Runs Pulumi programs under `pulumi.runtime.setMocks` and records what they register: the inputs the
 * engine would receive (including each dynamic resource's serialized `__provider`).
 */
import * as pulumi from "@pulumi/pulumi";

export interface Registered {
  type: string;
  name: string;
  inputs: Record<string, any>;
}

/** Values the mock "engine" computes for a resource: what the real provider would add as outputs. */
function computed(type: string, name: string, inputs: Record<string, any>): Record<string, unknown> {
  if (type.endsWith(":PostgresConnection")) return { connectionId: `00000000-0000-4000-8000-${name.length.toString().padStart(12, "0")}` };
  if (type.endsWith(":PostgresCredentialsRotation")) {
    const mapping = inputs.secretsMapping ?? {};
    return {
      rotationId: `rot-${name}`,
      activeIndex: 0,
      activeUsername: inputs.parameters?.username1,
      nextRotationAt: "2030-01-01T03:00:00.000Z",
      lastRotatedAt: "2029-12-02T10:00:00.000Z",
      rotationStatus: "success",
      secrets: { [mapping.username]: inputs.parameters?.username1, [mapping.password]: "mock-active-password" },
    };
  }
  return {};
}

/** Sets mocks (and config) for the rest of this test file; returns the list that fills as resources register. */
export function useMocks(opts: { project?: string; stack?: string; config?: Record<string, string>; secretKeys?: string[] } = {}): Registered[] {
  const registered: Registered[] = [];
  const project = opts.project ?? "pgrotate-quickstart";
  pulumi.runtime.setAllConfig(opts.config ?? {}, opts.secretKeys ?? []);
  // setMocks is declared async but does its work synchronously (@pulumi/pulumi 3.248 runtime/mocks.js).
  void pulumi.runtime.setMocks(
    {
      newResource(args: pulumi.runtime.MockResourceArgs) {
        registered.push({ type: args.type, name: args.name, inputs: args.inputs });
        return { id: `${args.name}-id`, state: { ...args.inputs, ...computed(args.type, args.name, args.inputs) } };
      },
      call: (args: pulumi.runtime.MockCallArgs) => args.inputs,
    },
    project,
    opts.stack ?? "test",
    false,
  );
  return registered;
}

/** The value of an Output (mocks resolve every value). */
export const valueOf = <T>(o: pulumi.Output<T>): Promise<T> => new Promise((resolve) => o.apply((v) => resolve(v)));

/** Waits until `count` resources registered (registration is asynchronous). */
export async function registeredAtLeast(list: Registered[], count: number, timeoutMs = 10_000): Promise<Registered[]> {
  const until = Date.now() + timeoutMs;
  while (list.length < count) {
    if (Date.now() > until) throw new Error(`only ${list.length} of ${count} resources registered`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return list;
}
