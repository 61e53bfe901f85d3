import { Argument, type CommandUnknownOpts } from "@commander-js/extra-typings";
import { completionScript, SHELLS } from "../completion";

/** `pgrotate completion bash|zsh|fish`: the shell's completion script, generated from the command tree. */
export function registerCompletion(program: CommandUnknownOpts): void {
  program
    .command("completion")
    .description("print the completion script of a shell (commands, subcommands and options)")
    .addArgument(new Argument("<shell>", "the shell").choices(SHELLS))
    .action((shell) => {
      process.stdout.write(completionScript(program, shell));
    });
}
