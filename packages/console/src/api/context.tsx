import { createContext, useContext } from "react";
import type { Api } from "./client";

export const ApiContext = createContext<Api | undefined>(undefined);

/** The signed clients of the signed-in user (only inside the signed-in app). */
export function useApi(): Api {
  const api = useContext(ApiContext);
  if (!api) throw new Error("useApi outside the signed-in console");
  return api;
}
