import type { ConsoleCredentials } from "./credentials";
import { ApiCallError } from "./errors";
import { signRequest } from "./sigv4";

/**
 * STS GetCallerIdentity at this page's origin: checks a key and says whose it is. Kept apart from the
 * SDK clients so that the sign-in page loads without them.
 */
export async function whoAmI(creds: ConsoleCredentials, origin = window.location.origin): Promise<{ arn: string; account: string }> {
  const url = new URL("/", origin);
  const body = "Action=GetCallerIdentity&Version=2011-06-15";
  const headers = signRequest(creds, "sts", { method: "POST", url, headers: { "content-type": "application/x-www-form-urlencoded" }, body });
  const res = await fetch(url, { method: "POST", headers, body });
  const doc = new DOMParser().parseFromString(await res.text(), "text/xml");
  const text = (tag: string) => doc.getElementsByTagName(tag)[0]?.textContent ?? "";
  if (!res.ok) throw new ApiCallError(text("Code") || `HTTP${res.status}`, text("Message") || res.statusText, res.status);
  return { arn: text("Arn"), account: text("Account") };
}
