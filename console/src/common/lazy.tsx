/**
 * Code splitting: the pages and dialogs the first page does not show load on first use, each its own chunk (the
 * first page's JavaScript stays under its budget; test/console-static.test.ts checks it). `lazyNamed` is React.lazy
 * for a named export, with a `preload`; `Loading` is what shows meanwhile.
 */
import { type ComponentProps, type ComponentType, createElement, lazy, type ReactNode, useState } from "react";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- React.lazy's own bound: a component of any props
type AnyComponent = ComponentType<any>;

export interface LazyComponent<C extends AnyComponent> {
  (props: ComponentProps<C>): ReactNode;
  /** Starts loading the chunk now (the page a deep link opens, beside the session check); rejects when it cannot. */
  preload(): Promise<void>;
}

/**
 * The component exported as `name` by the module `load` imports, loaded when first rendered (inside a Suspense), or
 * rendered at once when preloaded. A chunk that cannot be fetched (the runner was upgraded under an open console and
 * the old file is gone, or the runner is unreachable) fails with a message that says to reload, shown by the
 * nearest ErrorBoundary.
 */
export function lazyNamed<M extends Record<K, AnyComponent>, K extends keyof M>(load: () => Promise<M>, name: K): LazyComponent<M[K]> {
  let loaded: M[K] | undefined;
  let loading: Promise<M[K]> | undefined;
  const fetchChunk = (): Promise<M[K]> =>
    (loading ??= load().then(
      (module) => (loaded = module[name]),
      () => {
        loading = undefined; // a later render asks again
        throw new Error("A part of the console could not be loaded (the runner may have been upgraded or be unreachable); reload the page.");
      },
    ));
  const Lazy = lazy(async () => ({ default: await fetchChunk() }));
  function Component(props: ComponentProps<M[K]>) {
    // Chosen once per mount: moving from the lazy wrapper to the loaded component later would mount it afresh.
    const [Shown] = useState<AnyComponent>(() => loaded ?? Lazy);
    return createElement(Shown, props);
  }
  Component.preload = () => fetchChunk().then(() => undefined);
  return Component;
}

/** While a page or dialog loads: the console's "Loading…" status (a dialog's is read, not shown). */
export function Loading(props: { hidden?: boolean }) {
  return (
    <p role="status" className={props.hidden ? "visually-hidden" : undefined}>
      Loading…
    </p>
  );
}
