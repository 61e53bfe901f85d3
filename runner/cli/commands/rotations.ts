import type { CommandUnknownOpts } from "@commander-js/extra-typings";
import type { ApiRotation, ProjectFreeze } from "../../../provider/client";
import { contextOf, type CliContext } from "../context";
import { findRotation } from "../resolve";
import { rotationBlock, rotationTable, usageBlock } from "../views";
import { registerRotationChanges } from "./rotation-changes";
import { registerRotationWait, watch } from "./rotation-wait";

/**
 * `pgrotate rotations list|get|history` here, `create|update|rotate|delete` in rotation-changes.ts. A rotation
 * is named by its name in the folder of --project/--environment/--path, or by its id.
 */
export function registerRotations(program: CommandUnknownOpts): void {
  const rotations = program.command("rotations").description("PostgreSQL Credentials rotations (by name in --project/--environment/--path, or by id)");

  rotations
    .command("list")
    .description("rotations the token sees (only the given --project/--environment/--path when given)")
    .option("--watch", "print again each time a rotation changes (Ctrl-C stops; with --json one JSON document per line, per change)")
    .action(async (opts, cmd) => {
      const ctx = contextOf(cmd);
      const load = async () => {
        const f = ctx.givenFolder();
        const all = await ctx.client().listRotations(f.projectId);
        return all.filter((r) => (!f.environment || r.environment.slug === f.environment) && (!f.secretPath || r.folder.path === f.secretPath));
      };
      const render = (rs: ApiRotation[]) => rotationTable(ctx.out, rs);
      await show(ctx, opts.watch === true, load, render);
    });

  rotations
    .command("get")
    .description("one rotation: status, users and who uses each (sessions on the target, consumers), schedule, rotation window, whether its project is frozen, last message")
    .argument("<rotation>", "name or id")
    .option("--watch", "print again each time it changes (Ctrl-C stops; with --json one JSON document per line, per change)")
    .action(async (ref, opts, cmd) => {
      const ctx = contextOf(cmd);
      const { id, projectId } = await findRotation(ctx, ref);
      // The project's freeze shows in the human output (the JSON output is the rotation as the API answers it).
      const freezeOf = () => ctx.client().projectFreeze(projectId).catch((): ProjectFreeze | undefined => undefined);
      if (opts.watch === true) {
        let freeze: ProjectFreeze | undefined;
        const load = async () => {
          const [r, f] = await Promise.all([ctx.client().getRotation(id), freezeOf()]);
          freeze = f;
          return r;
        };
        return show(ctx, true, load, (r) => rotationBlock(ctx.out, r, freeze));
      }
      // Who uses each user is read on the target (include=usage); --json prints the rotation as the API has it.
      const [{ secretRotation, usage }, freeze] = await Promise.all([ctx.client().getRotationUsage(id), freezeOf()]);
      ctx.out.result(secretRotation, (r) => {
        rotationBlock(ctx.out, r, freeze);
        usageBlock(ctx.out, usage);
      });
    });

  rotations
    .command("history")
    .description("every attempt of a rotation, newest first")
    .argument("<rotation>", "name or id")
    .action(async (ref, _opts, cmd) => {
      const ctx = contextOf(cmd);
      const r = await findRotation(ctx, ref);
      const history = await ctx.client().history(r.id);
      const { out } = ctx;
      const user = (i: number | null) => (i === null ? "—" : i === 0 ? r.parameters.username1 : r.parameters.username2);
      out.result(history, (hs) =>
        out.table(
          ["STARTED", "TRIGGER", "RESULT", "USER", "DURATION", "MESSAGE"],
          hs.map((h) => [out.when(h.startedAt), h.trigger, out.style(h.result, h.result === "success" ? "info" : "danger"), user(h.targetIndex), `${h.durationMs} ms`, h.message ?? ""]),
          "No attempts yet.",
        ),
      );
    });

  registerRotationWait(rotations);
  registerRotationChanges(rotations);
}

/** Once (the API's objects with --json), or with --watch again on each change. */
async function show<T>(ctx: CliContext, watching: boolean, load: () => Promise<T>, render: (value: T) => void): Promise<void> {
  if (watching) return watch(ctx, load, render);
  ctx.out.result(await load(), render);
}
