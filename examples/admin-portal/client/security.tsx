// The Security tab's browser code: the Keyturn widget, embedded the way any React portal embeds it,
// and a "Try your credentials" panel that calls the Analytics API as an application would.
import { ApiSecretSection } from "@keyturn/widget";
import "@keyturn/widget/styles.css";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { TryCredentials } from "./TryCredentials";

/** Asks the portal's backend (keyturn-token.ts) for a short-lived Keyturn token for this project. */
async function getAccessToken(projectId: string): Promise<string> {
  const response = await fetch(`/portal/api/keyturn-token?project=${encodeURIComponent(projectId)}`, {
    credentials: "same-origin",
    cache: "no-store",
  });
  if (response.status === 401) window.location.assign("/login");
  if (!response.ok) throw new Error(`The portal refused a Keyturn token (${response.status})`);
  const { token } = (await response.json()) as { token: string };
  return token;
}

const section = document.getElementById("api-secret-section");
const tryIt = document.getElementById("try-it");
const projectId = section?.dataset.projectId;

if (section && tryIt && projectId) {
  createRoot(section).render(
    <StrictMode>
      <ApiSecretSection
        projectId={projectId}
        endpoint="/graphql"
        getAccessToken={() => getAccessToken(projectId)}
        exampleRequestUrl={new URL("/analytics/v1/report", window.location.origin).href}
        // Themed to match the portal, as a host would: the portal's green and its corner radius.
        appearance={{
          theme: "light",
          variables: { colorPrimary: "#0b6e4f", colorFocus: "#0b6e4f", borderRadius: "6px", fontSize: "15px" },
        }}
      />
    </StrictMode>,
  );
  createRoot(tryIt).render(
    <StrictMode>
      <TryCredentials />
    </StrictMode>,
  );
}
