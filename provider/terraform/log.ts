/**
 * Provider logs: hclog-style JSON lines on stderr, which go-plugin parses into Terraform's provider log
 * (TF_LOG_PROVIDER). Never stdout (the handshake line must be the first thing there) and never a value of
 * the configuration: callers log RPC names, type names, timings and the runner's scrubbed messages.
 */
export type Level = "trace" | "debug" | "info" | "warn" | "error";
export interface Logger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

/** hclog's JSON time layout (microseconds), which go-plugin parses to re-level the line. */
const hclogTime = () => new Date().toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");

export function stderrLogger(write: (line: string) => void = (l) => void process.stderr.write(l)): Logger {
  const line = (level: Level) => (msg: string) =>
    write(`${JSON.stringify({ "@level": level, "@message": msg, "@module": "pgrotate", "@timestamp": hclogTime() })}\n`);
  return { debug: line("debug"), info: line("info"), warn: line("warn"), error: line("error") };
}
