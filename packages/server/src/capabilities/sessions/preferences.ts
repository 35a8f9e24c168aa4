import { ApiError } from "../../errors.js";

/** Session preferences: the `inputs` of the account's SSM-SessionManagerRunShell document. */
export interface SessionPreferences {
  idleSessionTimeoutMinutes: number;
  /** undefined: no maximum */
  maxSessionDurationMinutes?: number;
  runAsEnabled: boolean;
  runAsDefaultUser: string;
  shellProfile: { linux: string; windows: string };
  s3BucketName: string;
  s3KeyPrefix: string;
  cloudWatchLogGroupName: string;
  kmsKeyId: string;
  /** openssm: days a session recording is kept (0 keeps it forever). */
  recordingRetentionDays: number;
}

/** The days a recording is kept when the preferences do not say (OPENSSM_SESSION_RECORDING_RETENTION_DAYS, default 365). */
export function defaultRetentionDays(env: NodeJS.ProcessEnv = process.env): number {
  const v = Number(env.OPENSSM_SESSION_RECORDING_RETENTION_DAYS ?? 365);
  return Number.isFinite(v) && v >= 0 ? Math.floor(v) : 365;
}

const bool = (v: unknown): boolean => v === true || (typeof v === "string" && v.trim().toLowerCase() === "true");
const str = (v: unknown): string => (typeof v === "string" ? v : v === undefined || v === null ? "" : String(v));

function whole(name: string, v: unknown, min: number, max: number, unit = "minutes"): number | undefined {
  const text = str(v).trim();
  if (text === "") return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ApiError("InvalidDocument", `The session preferences set ${name} to '${text}'; it must be a whole number of ${unit} from ${min} to ${max}.`);
  }
  return n;
}

/**
 * Reads preferences from document `inputs` objects, later ones overriding earlier ones (the account's
 * SSM-SessionManagerRunShell first, then the session document's own inputs).
 */
export function readPreferences(...inputs: (Record<string, unknown> | undefined)[]): SessionPreferences {
  const merged: Record<string, unknown> = {};
  for (const i of inputs) {
    for (const [k, v] of Object.entries(i ?? {})) if (v !== undefined && v !== null && !(typeof v === "string" && v === "" && k in merged)) merged[k] = v;
  }
  const profile = (merged.shellProfile ?? {}) as Record<string, unknown>;
  const retention = whole("recordingRetentionDays", merged.recordingRetentionDays, 0, 36500, "days");
  return {
    idleSessionTimeoutMinutes: whole("idleSessionTimeout", merged.idleSessionTimeout, 1, 60) ?? 20,
    maxSessionDurationMinutes: whole("maxSessionDuration", merged.maxSessionDuration, 1, 1440),
    runAsEnabled: bool(merged.runAsEnabled),
    runAsDefaultUser: str(merged.runAsDefaultUser).trim(),
    shellProfile: { linux: str(profile.linux), windows: str(profile.windows) },
    s3BucketName: str(merged.s3BucketName),
    s3KeyPrefix: str(merged.s3KeyPrefix),
    cloudWatchLogGroupName: str(merged.cloudWatchLogGroupName),
    kmsKeyId: str(merged.kmsKeyId),
    recordingRetentionDays: retention ?? defaultRetentionDays(),
  };
}

/** The IAM tag whose value names the OS user a principal's sessions run as. */
export const RUN_AS_TAG = "SSMSessionRunAs";

const OS_USER = /^[a-z_][a-z0-9_.-]{0,31}\$?$/i;

/**
 * The OS user a shell session runs as (undefined when Run As is off): the principal's
 * `SSMSessionRunAs` tag, else the preferences' runAsDefaultUser.
 */
export function runAsUser(prefs: SessionPreferences, principalTags: Record<string, string>): string | undefined {
  if (!prefs.runAsEnabled) return undefined;
  const tagged = Object.entries(principalTags)
    .find(([k]) => k === RUN_AS_TAG)?.[1]
    ?.trim();
  const user = tagged || prefs.runAsDefaultUser;
  if (!user) {
    throw new ApiError(
      "InvalidDocument",
      `Run As support is enabled in the session preferences (SSM-SessionManagerRunShell), but neither the ${RUN_AS_TAG} tag of the caller nor runAsDefaultUser names an OS user.`,
    );
  }
  if (!OS_USER.test(user)) throw new ApiError("InvalidDocument", `The Run As user '${user}' is not a valid operating system user name.`);
  return user;
}
