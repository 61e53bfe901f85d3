/**
 * What the CLI prints. Human mode: aligned tables and key/value blocks on stdout, times relative and absolute,
 * status words coloured when stdout is a terminal (never with --no-color or NO_COLOR). --json mode: one JSON
 * document on stdout and nothing else.
 *
 * Every character written passes through here, and no control character from the runner reaches the terminal:
 * names, descriptions, messages and PostgreSQL role names (which may hold any character but NUL) could carry
 * ANSI escape sequences that move the cursor, clear the screen, retitle the window or write the clipboard. Each
 * C0 or C1 control character (and DEL) is written out visibly instead, as "\u001b" (or "\n", "\r", "\t"): an
 * operator sees that a name holds one and which, where stripping would show a different name than the one to
 * type. The CLI's own colours are marked with a tag the runner cannot know and become escape sequences last.
 */
import crypto from "node:crypto";
import { relativeTime, type StatusTone } from "../../provider/status-words";

const CODES: Record<StatusTone | "bold" | "dim", [number, number]> = {
  danger: [31, 39],
  warning: [33, 39],
  info: [32, 39],
  neutral: [2, 22],
  dim: [2, 22],
  bold: [1, 22],
};

// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
// eslint-disable-next-line no-control-regex -- the same, line feeds aside: text given to line() may span lines
const CONTROL_BUT_LINE_FEED = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/g;
const NAMED: Readonly<Record<string, string>> = { "\t": "\\t", "\n": "\\n", "\r": "\\r" };
const written = (c: string): string => NAMED[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;

/** Text for one cell or value: every control character written out, line feeds too. */
export const visible = (s: string): string => s.replace(CONTROL, written);
/** Text for the terminal that keeps its line breaks: every other control character written out. */
export const visibleLines = (s: string): string => s.replace(CONTROL_BUT_LINE_FEED, written);

/**
 * JSON as JSON.stringify writes it, with DEL and the C1 controls (which it leaves as they are) as \u escapes too:
 * the same document, parsed, and nothing a terminal acts on. They can only be inside strings, where the escape
 * means the same character.
 */
export const terminalJson = (value: unknown): string => JSON.stringify(value, null, 2).replace(/[\u007f-\u009f]/g, written);

/** One JSON document on one line (a --json error, each document of --watch), written as terminalJson writes. */
export const lineJson = (value: unknown): string => JSON.stringify(value).replace(/[\u007f-\u009f]/g, written);

/** Lines written outside a command's Output (the error report), with control characters written out. */
export function writeLines(stream: NodeJS.WritableStream, lines: string[]): void {
  for (const line of lines) stream.write(visibleLines(line) + "\n");
}

export interface OutputOptions {
  json: boolean;
  color: boolean;
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
  now?: () => Date;
}

export class Output {
  readonly json: boolean;
  private readonly color: boolean;
  private readonly stdout: NodeJS.WritableStream;
  private readonly stderr: NodeJS.WritableStream;
  private readonly now: () => Date;
  /**
   * Stands for ESC in the colour codes style() adds until the text is written: random per run (private-use
   * characters around 96 random bits), so no text from the runner can hold it and pass for a colour code.
   */
  private readonly esc = `\ue000${crypto.randomBytes(12).toString("hex")}\ue001`;
  private readonly colourCode = new RegExp(`${this.esc}\\[\\d+m`, "g");

  constructor(o: OutputOptions) {
    this.json = o.json;
    this.color = o.color;
    this.stdout = o.stdout ?? process.stdout;
    this.stderr = o.stderr ?? process.stderr;
    this.now = o.now ?? (() => new Date());
  }

  /** The command's result: `value` as JSON with --json, else whatever `human` prints. */
  result<T>(value: T, human: (value: T) => void): void {
    if (this.json) this.stdout.write(terminalJson(value) + "\n");
    else human(value);
  }

  /** Text (it may span lines) on stdout, control characters written out. */
  line(text = ""): void {
    this.stdout.write(this.terminal(visibleLines(text)) + "\n");
  }

  /** A note for people on stderr (never part of the machine output). */
  note(text: string): void {
    this.stderr.write(this.terminal(visibleLines(text)) + "\n");
  }

  /**
   * One value for scripts, alone on stdout (`secrets get NAME --show`): exactly as it is when stdout is a pipe or
   * a file (as `ls` prints file names), with control characters written out when it is a terminal.
   */
  value(text: string): void {
    const tty = (this.stdout as { isTTY?: boolean }).isTTY === true;
    this.stdout.write((tty ? visible(text) : text) + "\n");
  }

  style(text: string, tone: StatusTone | "bold" | "dim"): string {
    if (!this.color) return text;
    const [on, off] = CODES[tone];
    return `${this.esc}[${on}m${text}${this.esc}[${off}m`;
  }

  /** Columns aligned on their widest cell, each cell on one line; `empty` is printed instead of a table without rows. */
  table(headers: string[], rows: string[][], empty: string): void {
    if (!rows.length) return this.line(empty);
    const cells = rows.map((r) => r.map(visible));
    const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => this.width(r[i] ?? ""))));
    const render = (row: string[]) =>
      row
        .map((c, i) => (i === row.length - 1 ? c : c + " ".repeat(widths[i] - this.width(c))))
        .join("  ")
        .trimEnd();
    this.line(this.style(render(headers), "bold"));
    for (const r of cells) this.line(render(r));
  }

  /** A key/value block with aligned values, each value on one line. */
  fields(pairs: Array<[string, string]>): void {
    const w = Math.max(...pairs.map(([k]) => k.length));
    for (const [k, v] of pairs) this.line(`${this.style(k.padEnd(w), "dim")}  ${visible(v)}`);
  }

  /** Characters a cell takes on the terminal (colour codes take none). */
  private width(s: string): number {
    return s.replace(this.colourCode, "").length;
  }

  /** Text made safe (control characters written out) with the colour codes of style() turned into escape sequences. */
  private terminal(safe: string): string {
    return safe.replaceAll(this.esc, "\x1b");
  }

  /** "in 31 days (2026-12-26 00:00 UTC)"; `none` when there is no time. */
  when(iso: string | null | undefined, none = "—"): string {
    if (!iso) return none;
    return `${relativeTime(new Date(iso), this.now())} (${absolute(iso)})`;
  }

  /** Only the relative part ("3 hours ago"), for dense tables. */
  ago(iso: string | null | undefined, none = "—"): string {
    return iso ? relativeTime(new Date(iso), this.now()) : none;
  }
}

/** "2026-12-26 00:00 UTC" */
export const absolute = (iso: string): string => `${new Date(iso).toISOString().slice(0, 16).replace("T", " ")} UTC`;
