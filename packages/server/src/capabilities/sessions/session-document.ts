import { ApiError } from "../../errors.js";
import type { RequestContext } from "../../runtime.js";
import { type DocumentParameterDeclaration, getDocumentForExecution, resolveParameters, substituteParameters } from "../documents/index.js";
import { readPreferences, type SessionPreferences } from "./preferences.js";

export const DEFAULT_SESSION_DOCUMENT = "SSM-SessionManagerRunShell";
export const SESSION_TYPES = ["Standard_Stream", "Port", "InteractiveCommands", "NonInteractiveCommands"] as const;
export type SessionType = (typeof SESSION_TYPES)[number];

interface SessionDocument {
  name: string;
  arn: string;
  content: Record<string, any>;
  parameters: Record<string, DocumentParameterDeclaration>;
  /** the documents capability's object, for resolveParameters */
  resolved: Awaited<ReturnType<typeof getDocumentForExecution>>;
}

/** What StartSession hands the agent and stores. */
export interface SessionPlan {
  documentName: string;
  documentArn: string;
  sessionType: SessionType;
  /** The document content to send: parameters substituted, inputs reduced to what the agent acts on. */
  content: Record<string, any>;
  /** Parameter values as the agent substitutes them (a string for String parameters, a list for StringList). */
  parameters: Record<string, unknown>;
  prefs: SessionPreferences;
}

async function loadDocument(ctx: RequestContext, nameOrArn: string): Promise<SessionDocument> {
  const doc = await getDocumentForExecution(ctx, nameOrArn);
  if (doc.documentType !== "Session") {
    throw new ApiError("InvalidDocument", `Document ${doc.name} is a ${doc.documentType} document; StartSession needs a document of type Session.`);
  }
  return { name: doc.name, arn: doc.arn, content: doc.content, parameters: doc.parameters, resolved: doc };
}

/** The document's ARN, for authorizing ssm:StartSession before anything else is looked at. */
export async function sessionDocumentArn(ctx: RequestContext, nameOrArn: string | undefined): Promise<string> {
  return (await loadDocument(ctx, nameOrArn || DEFAULT_SESSION_DOCUMENT)).arn;
}

/** Values as the agent substitutes them: String/Integer/Boolean as one string, lists as lists. */
function agentValues(decls: Record<string, DocumentParameterDeclaration>, values: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, decl] of Object.entries(decls)) {
    let v = values[name] ?? decl.default;
    if (v === undefined) continue;
    if (Array.isArray(v) && (decl.type === "String" || decl.type === "Integer" || decl.type === "Boolean")) v = v.length ? String(v[0]) : "";
    out[name] = v;
  }
  for (const [name, v] of Object.entries(values)) if (!(name in out)) out[name] = v;
  return out;
}

function checkParameters(doc: SessionDocument, given: Record<string, string[]>, values: Record<string, unknown>): void {
  for (const name of Object.keys(given)) {
    if (!doc.parameters[name]) throw new ApiError("InvalidParameters", `Parameter "${name}" is not declared by document ${doc.name}.`);
  }
  for (const [name, decl] of Object.entries(doc.parameters)) {
    const v = values[name];
    if (v === undefined) throw new ApiError("InvalidParameters", `Document ${doc.name} requires parameter "${name}".`);
    if (decl.allowedPattern && typeof v === "string" && !new RegExp(decl.allowedPattern).test(v)) {
      throw new ApiError("InvalidParameters", `Parameter "${name}" value '${v}' does not match the pattern ${decl.allowedPattern} of document ${doc.name}.`);
    }
  }
}

/** Resolves the session document, its parameters and the session preferences for StartSession. */
export async function planSession(ctx: RequestContext, nameOrArn: string | undefined, given: Record<string, string[]> | undefined): Promise<SessionPlan> {
  const doc = await loadDocument(ctx, nameOrArn || DEFAULT_SESSION_DOCUMENT);
  const sessionType = String(doc.content.sessionType ?? "") as SessionType;
  if (!SESSION_TYPES.includes(sessionType)) {
    throw new ApiError("InvalidDocument", `Document ${doc.name} has sessionType '${sessionType}'; it must be one of ${SESSION_TYPES.join(", ")}.`);
  }
  const resolved = await resolveParameters(ctx, doc.resolved, given);
  const parameters = agentValues(doc.parameters, resolved);
  checkParameters(doc, given ?? {}, parameters);

  const preferencesDoc = doc.name === DEFAULT_SESSION_DOCUMENT ? doc : await loadDocument(ctx, DEFAULT_SESSION_DOCUMENT);
  const prefs = readPreferences(preferencesDoc.content.inputs, doc === preferencesDoc ? undefined : doc.content.inputs);

  const properties = substituteParameters(doc.content.properties ?? {}, parameters) as Record<string, unknown>;
  const content: Record<string, any> = {
    schemaVersion: doc.content.schemaVersion ?? "1.0",
    description: doc.content.description ?? "",
    sessionType,
    // Recording happens on the server: the agent gets no S3, CloudWatch or KMS settings to act on
    // (the KMS handshake would make the session-manager-plugin call AWS KMS itself).
    inputs: {
      s3BucketName: "",
      s3KeyPrefix: "",
      s3EncryptionEnabled: false,
      cloudWatchLogGroupName: "",
      cloudWatchEncryptionEnabled: false,
      cloudWatchStreamingEnabled: false,
      kmsKeyId: "",
      runAsEnabled: prefs.runAsEnabled,
      runAsDefaultUser: prefs.runAsDefaultUser,
      shellProfile: prefs.shellProfile,
      idleSessionTimeout: String(prefs.idleSessionTimeoutMinutes),
      maxSessionDuration: prefs.maxSessionDurationMinutes ? String(prefs.maxSessionDurationMinutes) : "",
    },
    parameters: doc.content.parameters ?? {},
    properties,
  };
  return { documentName: doc.name, documentArn: doc.arn, sessionType, content, parameters, prefs };
}
