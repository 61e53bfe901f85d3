/** Names or ids on the command line -> the runner's objects. */
import { RunnerApiError, type ApiConnection, type ApiIdentity, type ApiRotation, type ApiToken } from "../../provider/client";
import { isUuid } from "../ids";
import type { CliContext } from "./context";
import { UsageError } from "./errors";

/** A rotation by id, or by its name in the folder of --project/--environment/--path. */
export async function findRotation(ctx: CliContext, ref: string): Promise<ApiRotation> {
  const client = ctx.client();
  if (isUuid(ref)) {
    const byId = await client.findRotation(ref);
    if (byId) return byId;
  }
  return client.getRotationByName(ref, ctx.folder());
}

/** One item of a list by id or by a name only one live item has (tokens, identities). */
export function pick<T extends { id: string; name: string }>(items: T[], ref: string, what: string, active: (t: T) => boolean = () => true): T {
  const byId = items.find((i) => i.id === ref.toLowerCase());
  if (byId) return byId;
  const named = items.filter((i) => i.name === ref && active(i));
  if (named.length === 1) return named[0];
  if (named.length > 1) throw new UsageError(`${named.length} ${what}s are named ${JSON.stringify(ref)}: give the id (${named.map((n) => n.id).join(", ")})`);
  throw new Error(`No ${what} with the name or id ${JSON.stringify(ref.slice(0, 100))}`);
}

/** A connection by id, or by its name (unique per runner). */
export async function findConnection(ctx: CliContext, ref: string): Promise<ApiConnection> {
  const client = ctx.client();
  if (isUuid(ref)) {
    try {
      return await client.getConnection(ref);
    } catch (err) {
      if (!(err instanceof RunnerApiError && err.status === 404)) throw err;
    }
  }
  return client.getConnectionByName(ref);
}

export const findToken = async (ctx: CliContext, ref: string): Promise<ApiToken> =>
  pick(await ctx.client().listTokens(), ref, "token", (t) => !t.revokedAt);

export const findIdentity = async (ctx: CliContext, ref: string): Promise<ApiIdentity> =>
  pick(await ctx.client().listIdentities(), ref, "machine identity", (i) => !i.revokedAt);
