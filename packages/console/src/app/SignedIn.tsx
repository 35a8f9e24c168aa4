import { useMemo } from "react";
import { createApi } from "../api/client";
import { ApiContext } from "../api/context";
import type { ConsoleCredentials } from "../api/credentials";
import { Shell } from "./Shell";

/** The signed-in console: the signed clients for every page (a chunk of its own, loaded after sign-in). */
export default function SignedIn({ creds, onSignOut }: { creds: ConsoleCredentials; onSignOut(): void }) {
  const api = useMemo(() => createApi(creds), [creds]);
  return (
    <ApiContext.Provider value={api}>
      <Shell onSignOut={onSignOut} />
    </ApiContext.Provider>
  );
}
