import type { CommandUnknownOpts } from "@commander-js/extra-typings";
import { contextOf } from "../context";
import { findRotation } from "../resolve";
import { getCommand } from "../subcommands";
import { rotationBlock, rotationTable } from "../views";
import { registerRotationChanges } from "./rotation-changes";

/**
 * `pgrotate rotations list|get|history` here, `create|update|rotate|delete` in rotation-changes.ts. A rotation
 * is named by its name in the folder of --project/--environment/--path, or by its id.
 */
export function registerRotations(program: CommandUnknownOpts): void {
  const rotations = program.command("rotations").description("PostgreSQL Credentials rotations (by name in --project/--environment/--path, or by id)");

  rotations
    .command("list")
    .description("rotations the token sees (only the given --project/--environment/--path when given)")
    .action(async (_opts, cmd) => {
      const ctx = contextOf(cmd);
      const f = ctx.givenFolder();
      const all = await ctx.client().listRotations(f.projectId);
      const shown = all.filter((r) => (!f.environment || r.environment.slug === f.environment) && (!f.secretPath || r.folder.path === f.secretPath));
      ctx.out.result(shown, (rs) => rotationTable(ctx.out, rs));
    });

  getCommand(rotations, { description: "one rotation: status, users, schedule, last message", argument: "rotation", find: findRotation, render: rotationBlock });

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

  registerRotationChanges(rotations);
}
