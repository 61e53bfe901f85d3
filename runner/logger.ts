import pino, { type Logger, type DestinationStream } from "pino";

export type { Logger };

const REDACTED = "[REDACTED]";
const MAX_KNOWN = 20000;

/**
 * Remembers every secret the runner handled (generated passwords, verifiers, tokens) and removes them
 * from any text: the second line of defence behind never logging secret fields at all.
 */
export class Scrubber {
  private readonly known = new Set<string>();
  /** The same secrets by length, so scrubbing costs O(text × distinct lengths), not O(text × secrets). */
  private readonly byLength = new Map<number, Set<string>>();
  private lengths: number[] = [];

  remember(secret: string | undefined | null): void {
    if (!secret || secret.length < 6 || this.known.has(secret)) return;
    if (this.known.size >= MAX_KNOWN) {
      const oldest = this.known.values().next().value;
      if (oldest !== undefined) this.forget(oldest);
    }
    this.known.add(secret);
    let set = this.byLength.get(secret.length);
    if (!set) {
      this.byLength.set(secret.length, (set = new Set()));
      this.lengths = [...this.byLength.keys()].sort((a, b) => b - a);
    }
    set.add(secret);
  }

  private forget(secret: string): void {
    this.known.delete(secret);
    const set = this.byLength.get(secret.length);
    set?.delete(secret);
    if (set && !set.size) {
      this.byLength.delete(secret.length);
      this.lengths = [...this.byLength.keys()].sort((a, b) => b - a);
    }
  }

  scrub(text: string): string {
    let out = text.replace(/(PASSWORD\s+)('(?:[^']|'')*'|E'(?:[^'\\]|\\.|'')*')/gi, `$1'${REDACTED}'`);
    out = out.replace(/SCRAM-SHA-256\$[^\s'"]+/g, REDACTED).replace(/\bmd5[0-9a-f]{32}\b/g, REDACTED);
    return this.lengths.length && out.length >= this.lengths[this.lengths.length - 1] ? this.scrubKnown(out) : out;
  }

  /** Longest known secret at each position, replaced; everything else copied. */
  private scrubKnown(text: string): string {
    let out = "";
    let copyFrom = 0;
    for (let i = 0; i < text.length; ) {
      let hit = 0;
      for (const len of this.lengths) {
        if (i + len <= text.length && this.byLength.get(len)!.has(text.slice(i, i + len))) {
          hit = len;
          break;
        }
      }
      if (hit) {
        out += text.slice(copyFrom, i) + REDACTED;
        i += hit;
        copyFrom = i;
      } else i++;
    }
    return copyFrom === 0 ? text : out + text.slice(copyFrom);
  }

  /** Deep copy of a log argument with every string scrubbed. */
  scrubValue(v: unknown, depth = 0): unknown {
    if (typeof v === "string") return this.scrub(v);
    if (depth > 6 || v === null || typeof v !== "object") return v;
    if (v instanceof Error) {
      return { type: v.name, message: this.scrub(v.message), code: (v as { code?: unknown }).code };
    }
    if (Array.isArray(v)) return v.map((x) => this.scrubValue(x, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = this.scrubValue(x, depth + 1);
    return out;
  }
}

/** Field names whose values never reach a log line, whatever the scrubber knows. */
const REDACT_PATHS = [
  "password",
  "*.password",
  "*.*.password",
  "secretValue",
  "*.secretValue",
  "token",
  "*.token",
  "authorization",
  "*.authorization",
  "*.headers.authorization",
  "clientSecret",
  "*.clientSecret",
  "accessToken",
  "*.accessToken",
  "encryptionKey",
  "encryptionKeys",
];

export function createLogger(opts: {
  level: string;
  scrubber: Scrubber;
  destination?: DestinationStream;
  base?: Record<string, unknown>;
}): Logger {
  const { scrubber } = opts;
  return pino(
    {
      level: opts.level,
      base: { service: "pgrotate", ...opts.base },
      redact: { paths: REDACT_PATHS, censor: REDACTED },
      hooks: {
        logMethod(args, method) {
          const clean = args.map((a) => scrubber.scrubValue(a)) as Parameters<typeof method>;
          return method.apply(this, clean);
        },
      },
    },
    opts.destination ?? pino.destination({ dest: 1, sync: false }),
  );
}
