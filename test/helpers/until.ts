/** Polls `get` until `ok` holds for its value (returned), or throws after `ms` naming `what` and the last value seen. */
export async function until<T>(get: () => Promise<T>, ok: (v: T) => boolean, ms: number, what: string, everyMs = 25): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await get();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`${what} not met within ${ms} ms; last seen: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
