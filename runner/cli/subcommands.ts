/** The subcommand shapes several resources share: a list as a table, one item, and a confirmed delete or revoke. */
import type { CommandUnknownOpts } from "@commander-js/extra-typings";
import { contextOf, type CliContext } from "./context";
import type { Output } from "./output";
import { confirm } from "./prompt";

/** `<resource> list`: the items as a table (the API's objects with --json). */
export function listCommand<T>(
  parent: CommandUnknownOpts,
  spec: { description: string; load: (ctx: CliContext) => Promise<T[]>; headers: string[]; row: (out: Output, item: T) => string[]; empty: string },
): void {
  parent
    .command("list")
    .description(spec.description)
    .action(async (_opts, cmd) => {
      const ctx = contextOf(cmd);
      const { out } = ctx;
      out.result(await spec.load(ctx), (items) => out.table(spec.headers, items.map((i) => spec.row(out, i)), spec.empty));
    });
}

/** `<resource> delete|revoke <name|id>`: asks (or needs --yes), then removes and prints the removed item with --json. */
export function removeCommand<T>(
  parent: CommandUnknownOpts,
  spec: {
    verb: "delete" | "revoke";
    description: string;
    argument: string;
    find: (ctx: CliContext, ref: string) => Promise<T>;
    question: (item: T) => string;
    remove: (ctx: CliContext, item: T) => Promise<T>;
    done: (item: T) => string;
  },
): void {
  parent
    .command(spec.verb)
    .description(spec.description)
    .argument(`<${spec.argument}>`, "name or id")
    .action(async (ref, _opts, cmd) => {
      const ctx = contextOf(cmd);
      const item = await spec.find(ctx, ref);
      await confirm(spec.question(item), ctx.yes);
      ctx.out.result(await spec.remove(ctx, item), (x) => ctx.out.line(spec.done(x)));
    });
}

/** `<resource> get <name|id>`: one item as a key/value block (the API's object with --json). */
export function getCommand<T>(
  parent: CommandUnknownOpts,
  spec: { description: string; argument: string; find: (ctx: CliContext, ref: string) => Promise<T>; render: (out: Output, item: T) => void },
): void {
  parent
    .command("get")
    .description(spec.description)
    .argument(`<${spec.argument}>`, "name or id")
    .action(async (ref, _opts, cmd) => {
      const ctx = contextOf(cmd);
      ctx.out.result(await spec.find(ctx, ref), (item) => spec.render(ctx.out, item));
    });
}
