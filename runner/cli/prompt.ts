/** Questions to the operator on the terminal (on stderr, so stdout stays the command's output). */
import readline from "node:readline";
import { Declined, UsageError } from "./errors";
import { visible } from "./output";

const interactive = (): boolean => process.stdin.isTTY === true && process.stderr.isTTY === true;

/**
 * Asks before a destructive change: y/N on a terminal; elsewhere the command needs --yes (a script must say
 * so explicitly). `what` completes "… [y/N]", e.g. `Delete rotation "app-db" in my-project/dev/`.
 */
export async function confirm(what: string, yes: boolean): Promise<void> {
  if (yes) return;
  if (!interactive()) throw new UsageError(`${what}: not confirmed; pass --yes (there is no terminal to ask on)`);
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await new Promise<string>((resolve) => rl.question(`${visible(what)}? [y/N] `, resolve));
    if (!/^y(es)?$/i.test(answer.trim())) throw new Declined("Not confirmed; nothing was changed.");
  } finally {
    rl.close();
  }
}

/**
 * A secret from the operator: typed at a hidden prompt on a terminal, else read from stdin (one trailing
 * newline removed). Never from the command line, where `ps` and shell history would keep it.
 */
export async function readSecret(label: string): Promise<string> {
  const value = process.stdin.isTTY ? await promptHidden(label) : await readStdin();
  if (!value) {
    throw new UsageError(
      process.stdin.isTTY ? `No ${label} given` : `No ${label} on stdin: pipe it in (printf '%s' "$PASSWORD" | pgrotate …) or run on a terminal to be asked`,
    );
  }
  return value;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString("utf8").replace(/\r?\n$/, "");
}

function promptHidden(label: string): Promise<string> {
  const { stdin, stderr } = process;
  stdin.setRawMode(true); // before the prompt shows: nothing typed is ever echoed
  stdin.setEncoding("utf8");
  stdin.resume();
  stderr.write(`${label}: `);
  return new Promise((resolve, reject) => {
    let value = "";
    const done = (err?: Error) => {
      stdin.off("data", onData);
      stdin.setRawMode(false);
      stdin.pause();
      stderr.write("\n");
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === "\r" || ch === "\n" || ch === "\u0004") return done();
        if (ch === "\u0003") return done(new Declined("Cancelled; nothing was changed."));
        if (ch === "\u007f" || ch === "\b") value = value.slice(0, -1);
        else value += ch;
      }
    };
    stdin.on("data", onData);
  });
}
