/** Progress on stderr, only for waits that take more than a moment (stdout stays the command's output). */
import { visible } from "./output";

const AFTER_MS = 1000;

export async function withProgress<T>(text: string, work: Promise<T>, stream: NodeJS.WriteStream = process.stderr): Promise<T> {
  const label = visible(text);
  const started = Date.now();
  let shown = false;
  let ticker: NodeJS.Timeout | undefined;
  const show = () => {
    const seconds = Math.round((Date.now() - started) / 1000);
    if (stream.isTTY) stream.write(`\r${label}… ${seconds}s`);
    else if (!shown) stream.write(`${label}…\n`);
    shown = true;
  };
  const timer = setTimeout(() => {
    show();
    if (stream.isTTY) ticker = setInterval(show, 1000);
  }, AFTER_MS);
  try {
    return await work;
  } finally {
    clearTimeout(timer);
    if (ticker) clearInterval(ticker);
    if (shown && stream.isTTY) stream.write("\r\x1b[K");
  }
}
