/** A clock a test moves by hand (a runner's `clock` option): `set` to an instant, `add` milliseconds. */
export function fakeClock(start: Date | number | string) {
  let now = new Date(start).getTime();
  return {
    now: () => new Date(now),
    set: (d: Date | number | string) => void (now = new Date(d).getTime()),
    add: (ms: number) => void (now += ms),
  };
}
