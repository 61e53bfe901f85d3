import "./zod-config";
import { QueryClientProvider } from "@tanstack/react-query";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { queryClient } from "./api";
import { App, preloadPage } from "./App";
import { ErrorBoundary } from "./common/ErrorBoundary";
import { prefetchList } from "./rotations/queries";
import { trackActivity } from "./session/activity";
import "./styles.css";

trackActivity();
prefetchList(queryClient);
preloadPage(location.pathname);
createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      {/* Outside the layout (sign-in, the session check): a plain link back, which reloads the console. */}
      <ErrorBoundary home={<a href="/">Back to Secret Rotations</a>} landmark>
        <App />
      </ErrorBoundary>
    </QueryClientProvider>
  </StrictMode>,
);
