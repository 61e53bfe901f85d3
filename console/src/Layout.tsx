import { useMutation } from "@tanstack/react-query";
import type { ReactNode } from "react";
import { api, errorText } from "./api";
import { Link } from "./common/Link";
import { dismissNotice, useNotice } from "./common/notices";
import { useLocation } from "./router";
import { useRotationEvents } from "./rotations/live";
import { useSession } from "./session/useSession";

const NAV = [
  { to: "/", label: "Secret Rotations", match: (p: string) => p === "/" || p.startsWith("/rotations/") },
  { to: "/app-connections", label: "App Connections", match: (p: string) => p === "/app-connections" },
  { to: "/secrets", label: "Secrets", match: (p: string) => p === "/secrets" },
  { to: "/status", label: "Runner status", match: (p: string) => p === "/status" },
];

export function Layout(props: { children: ReactNode; onSignedOut: () => void; reachable: boolean }) {
  const session = useSession();
  const { path, query } = useLocation();
  const notice = useNotice(path);
  const signOut = useMutation({ mutationFn: () => api.signOut(), onSuccess: props.onSignedOut });
  const live = useRotationEvents();
  // Keep the chosen project/environment/path when moving between the pages that use them.
  const carry = ["project", "environment", "path"].filter((k) => query.get(k)).map((k) => `${k}=${encodeURIComponent(query.get(k)!)}`).join("&");
  const withFolder = (to: string) => (carry && (to === "/" || to === "/secrets") ? `${to}?${carry}` : to);

  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="top-bar">
        <span className="brand">pgrotate</span>
        <nav aria-label="Main">
          <ul>
            {NAV.map((n) => (
              <li key={n.to}>
                <Link to={withFolder(n.to)} aria-current={n.match(path) ? "page" : undefined}>
                  {n.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <div className="who">
          {live !== "connecting" && (
            <span className={`live live-${live}`} title={live === "live" ? "Rotations update as they change" : "Rotations refresh every few seconds until live updates are back"}>
              {live === "live" ? "Live" : "Reconnecting…"}
            </span>
          )}
          <span>
            Signed in as <strong>{session.actor}</strong> <span className="badge">{session.permission === "manage" ? "manage" : "read-only"}</span>
          </span>
          <button type="button" onClick={() => signOut.mutate()} disabled={signOut.isPending}>
            {signOut.isPending ? "Signing out…" : "Sign out"}
          </button>
        </div>
      </header>
      {!props.reachable && (
        <div role="alert" className="alert alert-error banner">
          Cannot reach the pgrotate runner. Check that it is running; the console retries by itself.
        </div>
      )}
      {signOut.error && (
        <div role="alert" className="alert alert-error banner">
          Could not sign out: {errorText(signOut.error)}
        </div>
      )}
      <div role="status" className={!notice.text ? "notice notice-empty" : notice.warnings.length ? "notice notice-warning" : "notice"}>
        {notice.warnings.length ? (
          <>
            <p>{notice.text}</p>
            <ul aria-label="Warnings">
              {notice.warnings.map((w) => (
                <li key={w}>Warning: {w}</li>
              ))}
            </ul>
            <button type="button" onClick={dismissNotice}>
              Dismiss
            </button>
          </>
        ) : (
          notice.text
        )}
      </div>
      <main id="main" tabIndex={-1}>
        {props.children}
      </main>
    </>
  );
}
