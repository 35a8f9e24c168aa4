import Spinner from "@cloudscape-design/components/spinner";
import { Suspense, lazy, useState } from "react";
import { type ConsoleCredentials, clearCredentials, loadCredentials, saveCredentials } from "../api/credentials";
import { SignIn } from "./SignIn";

// The pages and the SDK load after sign-in, so that the first page is small.
const SignedIn = lazy(() => import("./SignedIn"));

/** Signed in (credentials in this tab's sessionStorage): the console; otherwise the sign-in page. */
export function App() {
  const [creds, setCreds] = useState<ConsoleCredentials | undefined>(loadCredentials);
  if (!creds) {
    return (
      <SignIn
        onSignedIn={(c) => {
          saveCredentials(c);
          setCreds(c);
        }}
      />
    );
  }
  return (
    <Suspense fallback={<Spinner size="large" />}>
      <SignedIn
        creds={creds}
        onSignOut={() => {
          clearCredentials();
          setCreds(undefined);
          window.location.hash = "/";
        }}
      />
    </Suspense>
  );
}
