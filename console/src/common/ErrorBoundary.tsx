import { Component, type ReactNode } from "react";

/**
 * A page that throws while rendering (a malformed address, a bug) shows this instead of a blank console: what
 * happened, and a way back. `home` is how to get back (a console Link inside the layout, a plain link outside).
 * Render it with key={path}: moving to another page starts it afresh. `landmark`: outside the layout, the message
 * is the page's <main>. (React itself logs the error to the browser's console.)
 */
export class ErrorBoundary extends Component<{ children: ReactNode; home: ReactNode; landmark?: boolean }, { error?: Error }> {
  override state: { error?: Error } = {};

  static getDerivedStateFromError(error: unknown): { error: Error } {
    return { error: error instanceof Error ? error : new Error(String(error)) };
  }

  override render(): ReactNode {
    if (!this.state.error) return this.props.children;
    const message = (
      <div className="page-error">
        <h1>This page could not be shown</h1>
        <div role="alert" className="alert alert-error">
          <p>Something went wrong while showing this page: {this.state.error.message || this.state.error.name}</p>
        </div>
        <p>
          {this.props.home} or{" "}
          <button type="button" onClick={() => location.reload()}>
            Reload the page
          </button>
        </p>
      </div>
    );
    return this.props.landmark ? (
      <main id="main" className="sign-in-page">
        {message}
      </main>
    ) : (
      message
    );
  }
}
