/**
 * The signed-in key: in this tab's sessionStorage only (gone when the tab closes; never a cookie,
 * never localStorage, never a URL), so the server never holds a console session of its own.
 */
export interface ConsoleCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  region: string;
  /** Whose key it is (GetCallerIdentity at sign-in), shown in the top bar. */
  arn?: string;
}

const KEY = "openssm.console.credentials";

export function loadCredentials(): ConsoleCredentials | undefined {
  try {
    const raw = sessionStorage.getItem(KEY);
    if (!raw) return undefined;
    const c = JSON.parse(raw) as ConsoleCredentials;
    return c.accessKeyId && c.secretAccessKey && c.region ? c : undefined;
  } catch {
    return undefined;
  }
}

export function saveCredentials(c: ConsoleCredentials): void {
  sessionStorage.setItem(KEY, JSON.stringify(c));
}

export function clearCredentials(): void {
  sessionStorage.removeItem(KEY);
}
