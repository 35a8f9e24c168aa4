import { ApiError } from "../../../errors.js";
import { parseContent } from "../content.js";
import type { DocumentFormat } from "../types.js";
import { CEDAR_POLICY_TYPES, validateApprovalPolicy } from "./approval-policy.js";
import { validateAutomation } from "./automation.js";
import { validateCalendar } from "./calendar.js";
import { validateChangeTemplate } from "./change-template.js";
import { Checker } from "./checker.js";
import { validateCommand } from "./command.js";
import { validatePackage } from "./package.js";
import type { ValidatedContent } from "./result.js";
import { validateSession } from "./session.js";

export type { ValidatedContent } from "./result.js";

/** Document types whose content openssm checks only for being well-formed JSON, YAML or text. */
export const PARSED_ONLY_TYPES = [
  "ApplicationConfiguration",
  "ApplicationConfigurationSchema",
  "CloudFormation",
  "ConformancePackTemplate",
  "ProblemAnalysis",
  "ProblemAnalysisTemplate",
  "QuickSetup",
  "ManualApprovalPolicy",
];

/** Which formats each document type may be written in. */
function checkFormat(type: string, format: DocumentFormat): void {
  const textTypes = ["ChangeCalendar", "ApplicationConfiguration", "ProblemAnalysis", "ProblemAnalysisTemplate"];
  if (format === "TEXT" && !textTypes.includes(type)) {
    throw new ApiError(
      "InvalidDocumentContent",
      `${type} documents are written in JSON or YAML; DocumentFormat TEXT is for ${textTypes.join(", ")} documents.`,
    );
  }
}

/** Parses and validates a document's content for its type; throws InvalidDocumentContent (naming the field and line) or InvalidDocumentSchemaVersion. */
export function validateDocumentContent(type: string, format: DocumentFormat, raw: string): { content: Record<string, any>; validated: ValidatedContent } {
  if (type === "DeploymentStrategy") {
    throw new ApiError("InvalidDocumentType", "DeploymentStrategy documents are reserved for AWS AppConfig's internal use; they can't be created.");
  }
  if (CEDAR_POLICY_TYPES.includes(type)) return validateApprovalPolicy(type, format, raw);
  checkFormat(type, format);
  const content = parseContent(raw, format);
  const c = new Checker(raw, format, type);
  switch (type) {
    case "Command":
    case "Policy":
      return { content, validated: validateCommand(c, content) };
    case "Automation":
      return { content, validated: validateAutomation(c, content) };
    case "Automation.ChangeTemplate":
      return { content, validated: validateChangeTemplate(c, content) };
    case "Session":
      return { content, validated: validateSession(c, content) };
    case "Package":
      return { content, validated: validatePackage(c, content) };
    case "ChangeCalendar":
      return { content, validated: validateCalendar(c, content) };
    default: {
      if (!PARSED_ONLY_TYPES.includes(type))
        throw new ApiError("InvalidDocumentType", `${type} is not a document type; use Command, Automation, Session, Package, ChangeCalendar, ...`);
      const sv = content.schemaVersion ?? content.AWSTemplateFormatVersion;
      const schemaVersion = typeof sv === "number" ? (Number.isInteger(sv) ? `${sv}.0` : String(sv)) : typeof sv === "string" ? sv : "";
      const description =
        typeof content.description === "string" ? content.description : typeof content.Description === "string" ? content.Description : undefined;
      return { content, validated: { schemaVersion, description, parameters: {}, platformTypes: [] } };
    }
  }
}
