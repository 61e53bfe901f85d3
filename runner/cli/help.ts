/**
 * The help of every command, as kubectl writes it: the global options shown in each subcommand's help, required
 * options marked, and an "Examples:" section (examples.ts). The root's help ends with the exit codes.
 */
import { Help, type CommandUnknownOpts } from "@commander-js/extra-typings";
import { EXIT_MEANINGS } from "./errors";
import { EXAMPLES } from "./examples";

/** "rotations list" for `pgrotate rotations list`; "" for the root. */
export function commandPath(cmd: CommandUnknownOpts): string {
  const names: string[] = [];
  for (let c: CommandUnknownOpts | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(" ");
}

/** Every command under `cmd` (itself included), parents before their subcommands. */
export function allCommands(cmd: CommandUnknownOpts): CommandUnknownOpts[] {
  return [cmd, ...cmd.commands.flatMap((c) => allCommands(c))];
}

/** Set on the root before the commands are added: commander copies it to each subcommand. */
export function configureHelp(program: CommandUnknownOpts): void {
  program.configureHelp({
    showGlobalOptions: true,
    optionDescription: (option) => {
      const text = Help.prototype.optionDescription.call(new Help(), option);
      return option.mandatory ? `${text} (required)` : text;
    },
  });
}

/** The examples of each command, and the exit codes on the root's help; after every command is added. */
export function addExamples(program: CommandUnknownOpts): void {
  for (const cmd of allCommands(program)) {
    const examples = EXAMPLES[commandPath(cmd)];
    if (examples?.length) cmd.addHelpText("after", ["", "Examples:", ...examples.map((e) => `  ${e}`)].join("\n"));
  }
  const width = Math.max(...EXIT_MEANINGS.map(([code]) => String(code).length));
  program.addHelpText(
    "after",
    [
      "",
      "Exit codes:", ...EXIT_MEANINGS.map(([code, meaning]) => `  ${String(code).padEnd(width)}  ${meaning}`),
      "",
      'With --json an error is one line of JSON on stderr: {"error": code, "message": …, "exitCode": n, "meaning": …}.',
    ].join("\n"),
  );
}
