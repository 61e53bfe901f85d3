/** `pgrotate projects get|freeze|unfreeze`: a project's freeze (no scheduled rotation of a frozen project runs). */
import type { CommandUnknownOpts } from "@commander-js/extra-typings";
import type { ProjectFreeze } from "../../../provider/client";
import { contextOf } from "../context";
import type { Output } from "../output";

export function registerProjects(program: CommandUnknownOpts): void {
  const projects = program.command("projects").description("projects: freeze one so none of its rotations runs on schedule (a release freeze, an incident)");

  projects
    .command("get")
    .description("whether a project is frozen, why, since when and by whom")
    .argument("<project>", "project id")
    .action(async (project, _opts, cmd) => {
      const ctx = contextOf(cmd);
      ctx.out.result(await ctx.client().projectFreeze(project), (f) => freezeBlock(ctx.out, f));
    });

  projects
    .command("freeze")
    .description("freeze a project: due rotations wait, manual ones need --force (needs manage over the whole project)")
    .argument("<project>", "project id")
    .requiredOption("--reason <text>", "why (people read it: the console's banner, rotations get, the 409 of a manual rotation)")
    .action(async (project, opts, cmd) => {
      const ctx = contextOf(cmd);
      const f = await ctx.client().setProjectFreeze(project, opts.reason);
      ctx.out.result(f, (x) => {
        ctx.out.line(`Froze project ${x.projectId}: no scheduled rotation of it runs until it is unfrozen.`);
        freezeBlock(ctx.out, x);
      });
    });

  projects
    .command("unfreeze")
    .description("unfreeze a project: its overdue rotations run at once, inside their windows")
    .argument("<project>", "project id")
    .action(async (project, _opts, cmd) => {
      const ctx = contextOf(cmd);
      const f = await ctx.client().setProjectFreeze(project, null);
      ctx.out.result(f, (x) => ctx.out.line(`Unfroze project ${x.projectId}: its overdue rotations run now.`));
    });
}

function freezeBlock(out: Output, f: ProjectFreeze): void {
  out.fields([
    ["Project", f.projectId],
    ["Frozen", f.frozen ? out.style("yes", "danger") : "no"],
    ...(f.frozen
      ? ([
          ["Reason", f.frozenReason ?? ""],
          ["Since", out.when(f.frozenAt)],
          ["By", f.frozenBy ?? ""],
        ] as Array<[string, string]>)
      : []),
  ]);
}
