/**
 * Code splitting: the pages and dialogs the first page does not show load on first use, each its own chunk (the
 * first page's JavaScript stays under its budget; test/console-static.test.ts checks it). `lazyNamed` is React.lazy
 * for a named export; `Loading` is what shows meanwhile.
 */
import { type ComponentType, lazy, type LazyExoticComponent } from "react";

/**
 * The component exported as `name` by the module `load` imports, loaded when first rendered (inside a Suspense).
 * A chunk that cannot be fetched (the runner was upgraded under an open console and the old file is gone, or the
 * runner is unreachable) fails with a message that says to reload, shown by the nearest ErrorBoundary.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- React.lazy's own bound: any props
export function lazyNamed<M extends Record<K, ComponentType<any>>, K extends keyof M>(load: () => Promise<M>, name: K): LazyExoticComponent<M[K]> {
  return lazy(async () => {
    let module: M;
    try {
      module = await load();
    } catch {
      throw new Error("A part of the console could not be loaded (the runner may have been upgraded or be unreachable); reload the page.");
    }
    return { default: module[name] };
  });
}

/** While a page or dialog loads: the console's "Loading…" status (a dialog's is read, not shown). */
export function Loading(props: { hidden?: boolean }) {
  return (
    <p role="status" className={props.hidden ? "visually-hidden" : undefined}>
      Loading…
    </p>
  );
}
