/**
 * A secret setting read from a file (`<NAME>_FILE`: a container secret, a systemd credential). The file's content
 * is the value, less one trailing newline (LF or CRLF). What this says about a file names the variable and the
 * path, never the content.
 */
import fs from "node:fs";

/** Larger than any key, token or URL: a file this big is a mistake (a wrong path), not a secret. */
const MAX_BYTES = 64 * 1024;

export type SecretFile = { ok: true; value: string; warning?: string } | { ok: false; problem: string };

export function readSecretFile(variable: string, file: string): SecretFile {
  let st: fs.Stats;
  let content: string;
  try {
    // stat follows symlinks (a Kubernetes secret is a link into ..data/): the mode and owner are its target's. A
    // FIFO or a device is refused before it is opened (reading one could block or never end).
    st = fs.statSync(file);
    if (!st.isFile()) return { ok: false, problem: `${variable}: ${file} is not a regular file` };
    if (st.size > MAX_BYTES) return { ok: false, problem: `${variable}: ${file} is larger than 64 KiB, so it holds no single setting` };
    content = fs.readFileSync(file, "utf8");
  } catch (err) {
    return { ok: false, problem: `${variable}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? "error"})` };
  }
  const value = content.endsWith("\r\n") ? content.slice(0, -2) : content.endsWith("\n") ? content.slice(0, -1) : content;
  if (!value) return { ok: false, problem: `${variable}: ${file} is empty` };
  return { ok: true, value, warning: exposure(variable, file, st) };
}

/**
 * PostgreSQL's rule for its own key files: nobody but the owner may read a secret file, except the group of a file
 * root owns (how Kubernetes mounts a secret for a pod's fsGroup, mode 0440). Anything wider gets a warning.
 */
function exposure(variable: string, file: string, st: fs.Stats): string | undefined {
  const others = (st.mode & 0o004) !== 0;
  const group = (st.mode & 0o040) !== 0 && st.uid !== 0;
  if (!others && !group) return undefined;
  const mode = (st.mode & 0o777).toString(8).padStart(4, "0");
  return (
    `${variable}: ${file} is readable by ${others ? "every user" : "its group"} (mode ${mode}); ` +
    "make it readable by the runner's user only (chmod 600), or by a group only when root owns it (chmod 640)"
  );
}
