// The signed-in console (the `app` bundle): React, Cloudscape and its CSS, the shell and the pages.
// The sign-in page (signin/main.ts) loads it after sign-in, or at once when this tab is signed in.
import "@cloudscape-design/global-styles/index.css";
import "../console.css";
import { createRoot } from "react-dom/client";
import type { ConsoleCredentials } from "../api/credentials";
import SignedIn from "./SignedIn";

export function mount(el: HTMLElement, creds: ConsoleCredentials, onSignOut: () => void): void {
  createRoot(el).render(<SignedIn creds={creds} onSignOut={onSignOut} />);
}
