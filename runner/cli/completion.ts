/**
 * Shell completion scripts generated from the command tree (every command, subcommand and option, with the global
 * options everywhere), so they never fall behind the commands. `pgrotate completion bash|zsh|fish` prints one.
 */
import type { CommandUnknownOpts } from "@commander-js/extra-typings";
import { allCommands, commandPath } from "./help";

export const SHELLS = ["bash", "zsh", "fish"] as const;
export type Shell = (typeof SHELLS)[number];

interface Node {
  path: string;
  subcommands: Array<{ name: string; description: string }>;
  options: Array<{ flag: string; description: string; takesValue: boolean }>;
}

/** Each command's subcommands and options (its own, then the root's), hidden ones left out. */
function tree(program: CommandUnknownOpts): Node[] {
  const options = (c: CommandUnknownOpts) =>
    c.options
      .filter((o) => !o.hidden && o.long)
      .map((o) => ({ flag: o.long!, description: o.description, takesValue: o.required || o.optional }));
  const globals = options(program);
  return allCommands(program).map((c) => ({
    path: commandPath(c),
    // Subcommands, and the choices of an argument (`completion bash|zsh|fish`) offered the same way.
    subcommands: [
      ...c.commands.map((s) => ({ name: s.name(), description: s.description() })),
      ...c.registeredArguments.flatMap((a) => (a.argChoices ?? []).map((name) => ({ name, description: a.description }))),
    ],
    options: [...(c === program ? [] : options(c)), ...globals, { flag: "--help", description: "display help for command", takesValue: false }],
  }));
}

/** 'text' for sh, bash, zsh and fish alike (fish reads \' inside single quotes too, but '\'' works in all). */
const sq = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
const oneLine = (s: string): string => s.replace(/\s+/g, " ").trim();

/** The shell code that finds the command typed so far (the words that name commands, options skipped). */
const pathCases = (nodes: Node[]): string => nodes.filter((n) => n.path).map((n) => sq(n.path)).join("|");

function bash(nodes: Node[]): string {
  return `# pgrotate completion for bash: source <(pgrotate completion bash)
_pgrotate() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" cmdpath="" w i words=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    case "$w" in -*) continue ;; esac
    case "\${cmdpath:+$cmdpath }$w" in
      ${pathCases(nodes)}) cmdpath="\${cmdpath:+$cmdpath }$w" ;;
    esac
  done
  case "$cmdpath" in
${nodes.map((n) => `    ${sq(n.path)}) words=${sq([...n.subcommands.map((s) => s.name), ...n.options.map((o) => o.flag)].join(" "))} ;;`).join("\n")}
  esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -F _pgrotate pgrotate
`;
}

function zsh(nodes: Node[]): string {
  const described = (name: string, description: string) => sq(`${name.replace(/:/g, "\\:")}:${oneLine(description)}`);
  return `#compdef pgrotate
# pgrotate completion for zsh: pgrotate completion zsh > "\${fpath[1]}/_pgrotate" (or source <(pgrotate completion zsh))
_pgrotate() {
  local cmdpath="" w i
  local -a subs opts
  for ((i = 2; i < CURRENT; i++)); do
    w=\${words[i]}
    [[ $w == -* ]] && continue
    case "\${cmdpath:+$cmdpath }$w" in
      ${pathCases(nodes)}) cmdpath="\${cmdpath:+$cmdpath }$w" ;;
    esac
  done
  case "$cmdpath" in
${nodes
  .map(
    (n) =>
      `    ${sq(n.path)})\n      subs=(${n.subcommands.map((s) => described(s.name, s.description)).join(" ")})\n      opts=(${n.options.map((o) => described(o.flag, o.description)).join(" ")}) ;;`,
  )
  .join("\n")}
  esac
  if [[ $PREFIX == -* || \${#subs} -eq 0 ]]; then
    _describe -t options 'pgrotate option' opts
  else
    _describe -t commands 'pgrotate command' subs
  fi
}
if [[ $funcstack[1] == _pgrotate ]]; then _pgrotate "$@"; else compdef _pgrotate pgrotate; fi
`;
}

function fish(nodes: Node[]): string {
  const lines = ["# pgrotate completion for fish: pgrotate completion fish > ~/.config/fish/completions/pgrotate.fish", "complete -c pgrotate -f"];
  for (const n of nodes) {
    const parts = n.path ? n.path.split(" ") : [];
    // Where this node's subcommands are offered: its own words typed, none of its subcommands yet.
    const seen = parts.map((p) => `__fish_seen_subcommand_from ${p}`);
    const at = n.path ? [...seen, `not __fish_seen_subcommand_from ${n.subcommands.map((s) => s.name).join(" ") || "--"}`] : ["__fish_use_subcommand"];
    for (const s of n.subcommands) lines.push(`complete -c pgrotate -n ${sq(at.join("; and "))} -a ${sq(s.name)} -d ${sq(oneLine(s.description))}`);
    if (!n.path) continue; // the root's options are the global ones, offered everywhere below
    for (const o of n.options.slice(0, n.options.length - nodes[0].options.length)) {
      lines.push(`complete -c pgrotate -n ${sq(seen.join("; and "))} -l ${o.flag.replace(/^--/, "")}${o.takesValue ? " -r" : ""} -d ${sq(oneLine(o.description))}`);
    }
  }
  for (const o of nodes[0].options) lines.push(`complete -c pgrotate -l ${o.flag.replace(/^--/, "")}${o.takesValue ? " -r" : ""} -d ${sq(oneLine(o.description))}`);
  return lines.join("\n") + "\n";
}

export function completionScript(program: CommandUnknownOpts, shell: Shell): string {
  const nodes = tree(program);
  return { bash, zsh, fish }[shell](nodes);
}
