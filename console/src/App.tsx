import { useQuery, useQueryClient } from "@tanstack/react-query";
import { Suspense, useState, useSyncExternalStore } from "react";
import { type ApiConsoleSession, RunnerApiError } from "../../provider/client";
import { api, isUnreachable } from "./api";
import { ErrorAlert } from "./common/ErrorAlert";
import { ErrorBoundary } from "./common/ErrorBoundary";
import { lazyNamed, Loading } from "./common/lazy";
import { Link } from "./common/Link";
import { Layout } from "./Layout";
import { keys } from "./queries";
import { useLocation } from "./router";
import { RotationsPage } from "./rotations/RotationsPage";
import { sessionEvents } from "./session/events";
import { SessionContext } from "./session/useSession";

// The Secret Rotations list is the first page and comes with the console; every other page, and the sign-in
// forms (with react-hook-form), load on first use.
const RotationPage = lazyNamed(() => import("./rotations/RotationPage"), "RotationPage");
const ConnectionsPage = lazyNamed(() => import("./connections/ConnectionsPage"), "ConnectionsPage");
const SecretsPage = lazyNamed(() => import("./secrets/SecretsPage"), "SecretsPage");
const StatusPage = lazyNamed(() => import("./status/StatusPage"), "StatusPage");
const SignInPage = lazyNamed(() => import("./session/SignInPage"), "SignInPage");
const SignInDialog = lazyNamed(() => import("./session/SignInDialog"), "SignInDialog");

/** The page at a path that loads on first use (none for the list, which comes with the console). */
function lazyPageAt(path: string): { preload(): Promise<void> } | undefined {
  if (/^\/rotations\/[^/]+$/.test(path)) return RotationPage;
  const pages: Record<string, { preload(): Promise<void> } | undefined> = { "/app-connections": ConnectionsPage, "/secrets": SecretsPage, "/status": StatusPage };
  return pages[path];
}

/** The page the console opened on, loading (settles either way; rendering it says what failed). */
let firstPage: Promise<unknown> = Promise.resolve();

/**
 * A deep link's page starts loading at once, beside the session check (as prefetchList does the list's rows), and
 * the console waits for both: the page shows with the layout, as it did when it came with the console (its reads
 * start as the live stream attaches, which re-reads them), with no wait after the session's.
 */
export function preloadPage(path: string): void {
  firstPage = lazyPageAt(path)?.preload().catch(() => undefined) ?? firstPage;
}

/** Who is signed in; null when nobody is (a 401 here is an answer, not an error). */
async function currentSession(): Promise<ApiConsoleSession | null> {
  try {
    const [session] = await Promise.all([api.session(), firstPage]);
    return session;
  } catch (err) {
    if (err instanceof RunnerApiError && err.status === 401) return null;
    throw err;
  }
}

function Page() {
  const { path } = useLocation();
  return (
    <ErrorBoundary key={path} home={<Link to="/">Back to Secret Rotations</Link>}>
      <Suspense fallback={<Loading />}>
        <PageAt path={path} />
      </Suspense>
    </ErrorBoundary>
  );
}

function PageAt({ path }: { path: string }) {
  const rotation = /^\/rotations\/([^/]+)$/.exec(path);
  if (path === "/") return <RotationsPage />;
  if (rotation) return <RotationPage id={decodeURIComponent(rotation[1])} />;
  if (path === "/app-connections") return <ConnectionsPage />;
  if (path === "/secrets") return <SecretsPage />;
  if (path === "/status") return <StatusPage />;
  return (
    <>
      <h1>Page not found</h1>
      <p>There is no console page at this address.</p>
    </>
  );
}

export function App() {
  const client = useQueryClient();
  const signals = useSyncExternalStore(sessionEvents.subscribe, sessionEvents.get);
  const [signedOutMessage, setSignedOutMessage] = useState<string>();
  const session = useQuery({ queryKey: keys.session(), queryFn: currentSession, staleTime: Infinity, retry: (n, e) => isUnreachable(e) && n < 5 });

  const signedIn = (s: ApiConsoleSession) => {
    client.setQueryData(keys.session(), s);
    sessionEvents.renewed();
    setSignedOutMessage(undefined);
    void client.invalidateQueries({ predicate: (q) => q.queryKey[0] !== keys.session()[0] });
  };
  const signedOut = () => {
    client.clear();
    client.setQueryData(keys.session(), null);
    sessionEvents.renewed();
    setSignedOutMessage("You have signed out.");
  };

  if (session.isPending) {
    return (
      <main id="main" className="loading-page">
        <Loading />
      </main>
    );
  }
  if (session.isError) {
    return (
      <main id="main" className="sign-in-page">
        <h1>pgrotate</h1>
        <ErrorAlert error={session.error} what="Cannot load the console" />
        <button type="button" onClick={() => void session.refetch()}>
          Retry
        </button>
      </main>
    );
  }
  if (!session.data) {
    return (
      <Suspense
        fallback={
          <main id="main" className="loading-page">
            <Loading />
          </main>
        }
      >
        <SignInPage onSignedIn={signedIn} message={signedOutMessage} />
      </Suspense>
    );
  }
  return (
    <SessionContext.Provider value={session.data}>
      <Layout onSignedOut={signedOut} reachable={signals.reachable}>
        <Page />
      </Layout>
      {signals.expired && (
        <Suspense fallback={<Loading hidden />}>
          <SignInDialog onSignedIn={signedIn} />
        </Suspense>
      )}
    </SessionContext.Provider>
  );
}
