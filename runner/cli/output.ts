/**
 * What the CLI prints. Human mode: aligned tables and key/value blocks on stdout, times relative and absolute,
 * status words coloured when stdout is a terminal (never with --no-color or NO_COLOR). --json mode: one JSON
 * document on stdout and nothing else.
 */
import { relativeTime, type StatusTone } from "../../provider/status-words";

const ANSI = /\x1b\[[0-9;]*m/g; // eslint-disable-line no-control-regex
const CODES: Record<StatusTone | "bold" | "dim", [number, number]> = {
  danger: [31, 39],
  warning: [33, 39],
  info: [32, 39],
  neutral: [2, 22],
  dim: [2, 22],
  bold: [1, 22],
};

const width = (s: string) => s.replace(ANSI, "").length;

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

  constructor(o: OutputOptions) {
    this.json = o.json;
    this.color = o.color;
    this.stdout = o.stdout ?? process.stdout;
    this.stderr = o.stderr ?? process.stderr;
    this.now = o.now ?? (() => new Date());
  }

  /** The command's result: `value` as JSON with --json, else whatever `human` prints. */
  result<T>(value: T, human: (value: T) => void): void {
    if (this.json) this.stdout.write(JSON.stringify(value, null, 2) + "\n");
    else human(value);
  }

  line(text = ""): void {
    this.stdout.write(text + "\n");
  }

  /** A note for people on stderr (never part of the machine output). */
  note(text: string): void {
    this.stderr.write(text + "\n");
  }

  style(text: string, tone: StatusTone | "bold" | "dim"): string {
    if (!this.color) return text;
    const [on, off] = CODES[tone];
    return `\x1b[${on}m${text}\x1b[${off}m`;
  }

  /** Columns aligned on their widest cell; `empty` is printed instead of a table without rows. */
  table(headers: string[], rows: string[][], empty: string): void {
    if (!rows.length) return this.line(empty);
    const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => width(r[i] ?? ""))));
    const render = (cells: string[]) =>
      cells
        .map((c, i) => (i === cells.length - 1 ? c : c + " ".repeat(widths[i] - width(c))))
        .join("  ")
        .trimEnd();
    this.line(this.style(render(headers), "bold"));
    for (const r of rows) this.line(render(r));
  }

  /** A key/value block with aligned values. */
  fields(pairs: Array<[string, string]>): void {
    const w = Math.max(...pairs.map(([k]) => k.length));
    for (const [k, v] of pairs) this.line(`${this.style(k.padEnd(w), "dim")}  ${v}`);
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
