import { ApiError } from "../../errors.js";

/** AWS's limit on hierarchy depth. */
export const MAX_HIERARCHY_LEVELS = 15;
/** AWS's limit on a name, counted together with the ARN prefix that precedes it. */
export const MAX_NAME_WITH_ARN_PREFIX = 1011;

const NAME_CHARS = /^[a-zA-Z0-9_.\-/]+$/;
const LABEL_CHARS = /^[a-zA-Z0-9_.-]+$/;
const RESERVED_PREFIX = /^(aws|ssm)/i;
/** AWS's own namespace (public parameters under /aws/service/...): writing there is an access error, not a validation one. */
const AWS_PREFIX = /^aws/i;
const PARAMETER_ARN = /^arn:aws[a-z-]*:ssm:([^:]*):([^:]*):parameter\/(.*)$/s;

/**
 * AWS's answer, word for word, to a malformed hierarchy path (GetParametersByPath, the Path filter of
 * DescribeParameters), including the backslashes AWS's text has before the quotes around aws and ssm.
 */
export const PATH_RULES =
  'The parameter doesn\'t meet the parameter name requirements. The parameter name must begin with a forward slash "/". It can\'t be prefixed with \\"aws\\" or \\"ssm\\" (case-insensitive). It must use only letters, numbers, or the following symbols: . (period), - (hyphen), _ (underscore). Special characters are not allowed. All sub-paths, if specified, must use the forward slash symbol "/". Valid example: /get/parameters2-/by1./path0_.';

export const NAME_RULES =
  'Parameter name: can\'t be prefixed with "aws" or "ssm" (case-insensitive). If formed as a path, it can consist of sub-paths divided by slash symbol; each sub-path can be formed as a mix of letters, numbers and the following 3 symbols .-_';

/**
 * The identity of a parameter: root names get one leading slash, so `foo` and `/foo` are the same
 * parameter. A name with a slash must begin with one: checkNewName and parseReference refuse others.
 */
export function nameKey(name: string): string {
  return name.startsWith("/") ? name : name.includes("/") ? name : `/${name}`;
}

/** The hierarchy a parameter sits in: "/a/b" for "/a/b/c", "/" for root parameters. */
export function parentPath(key: string): string {
  const i = key.lastIndexOf("/");
  return i <= 0 ? "/" : key.slice(0, i);
}

/** The resource part of a parameter ARN: `parameter/x` for x (key /x), `parameter/a/b` for /a/b. */
export function arnResource(key: string): string {
  return `parameter/${key.startsWith("/") ? key.slice(1) : key}`;
}

/**
 * AWS's answers for reserved names: the aws prefix (its public parameters live under /aws/service)
 * is AccessDeniedException "No access to reserved parameter name: <name>." with or without a path;
 * the ssm prefix is a ValidationException with AWS's name rules.
 */
export function checkNotReserved(name: string): void {
  const first = name.slice(name.startsWith("/") ? 1 : 0).split("/")[0];
  if (AWS_PREFIX.test(first)) throw new ApiError("AccessDeniedException", `No access to reserved parameter name: ${name.replace(/^\//, "")}.`);
  if (RESERVED_PREFIX.test(first)) throw new ApiError("ValidationException", NAME_RULES);
}

/**
 * Checks a name for PutParameter as AWS does and returns it without surrounding spaces
 * (AWS strips them). `arnPrefix` is `arn:aws:ssm:<region>:<account>:parameter/`, counted in the length limit.
 */
export function checkNewName(raw: string, arnPrefix: string): string {
  const name = raw.trim();
  if (name.startsWith("arn:")) {
    throw new ApiError("ValidationException", `Parameter name ${name}: PutParameter takes the parameter's name, not its ARN.`);
  }
  if (!NAME_CHARS.test(name)) {
    throw new ApiError(
      "ValidationException",
      `Parameter name ${JSON.stringify(name)} is not valid: names can contain only letters, numbers, the symbols . - _ and the slash (/) that separates hierarchy levels, and no spaces.`,
    );
  }
  if (name.includes("/") && !name.startsWith("/")) {
    throw new ApiError(
      "ValidationException",
      `Parameter name must be a fully qualified name. (${name} is in a hierarchy, so it begins with a slash: /${name}.)`,
    );
  }
  const segments = name.slice(name.startsWith("/") ? 1 : 0).split("/");
  if (segments.some((s) => s === "")) {
    throw new ApiError("ValidationException", `${NAME_RULES}. The name ${name} has an empty level (a doubled or trailing slash).`);
  }
  checkNotReserved(name);
  const levels = (name.match(/\//g) ?? []).length;
  if (levels > MAX_HIERARCHY_LEVELS) {
    throw new ApiError(
      "HierarchyLevelLimitExceededException",
      `A hierarchy can have a maximum of ${MAX_HIERARCHY_LEVELS} levels; ${name} has ${levels}. Shorten the path.`,
    );
  }
  const key = nameKey(name);
  const total = arnPrefix.length + key.length - 1;
  if (total > MAX_NAME_WITH_ARN_PREFIX) {
    throw new ApiError(
      "ValidationException",
      `Parameter name is too long: together with the ARN prefix ${arnPrefix} it has ${total} characters; the maximum is ${MAX_NAME_WITH_ARN_PREFIX}.`,
    );
  }
  return name;
}

/** A version or label after the name (`name:3`, `name:prod`). */
export type Selector = { kind: "version"; version: number; text: string } | { kind: "label"; label: string; text: string };

export interface ParameterReference {
  /** The name as the caller wrote it, without selector (an ARN becomes the name it names). */
  name: string;
  key: string;
  selector?: Selector;
  /** Set when an ARN names another account or region (openssm does not share parameters). */
  elsewhere?: string;
}

/** Parses what GetParameter and friends accept: a name, an ARN, either with `:version` or `:label`. */
export function parseReference(input: string, scope: { accountId: string; region: string }): ParameterReference {
  let rest = input.trim();
  let elsewhere: string | undefined;
  let fromArn = false;
  const m = PARAMETER_ARN.exec(rest);
  if (m) {
    const [, region, account, resource] = m;
    if (region !== scope.region || account !== scope.accountId) elsewhere = `${account}/${region}`;
    rest = resource;
    fromArn = true;
  }
  const colon = rest.indexOf(":");
  let selector: Selector | undefined;
  if (colon >= 0) {
    const text = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    selector = /^\d+$/.test(text) ? { kind: "version", version: Number(text), text } : { kind: "label", label: text, text };
  }
  const name = fromArn && rest.includes("/") ? `/${rest}` : rest;
  // A name with a slash but none in front (app/prod/x) is no parameter's name, and no ARN may be made of it.
  if (name.includes("/") && !name.startsWith("/")) throw new ApiError("ValidationException", NAME_RULES);
  return { name, key: nameKey(name), selector, elsewhere };
}

/** Normalizes and checks a hierarchy path (GetParametersByPath, the Path filter): "/a/b/" → "/a/b". */
export function checkPath(raw: string): string {
  const path = raw.trim();
  const valid =
    path === "/" ||
    (path.startsWith("/") &&
      NAME_CHARS.test(path) &&
      !path
        .slice(1, path.endsWith("/") ? -1 : undefined)
        .split("/")
        .includes(""));
  if (!valid) {
    throw new ApiError("ValidationException", PATH_RULES);
  }
  return path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path;
}

/** Whether a path is in the reserved aws/ssm namespace (AWS's public parameters, which openssm does not host). */
export function isReservedPath(path: string): boolean {
  return RESERVED_PREFIX.test(path.slice(1));
}

/** AWS's label rules: up to 100 letters, numbers, . - _; not beginning with a number, "aws" or "ssm". */
export function isValidLabel(label: string): boolean {
  return label.length >= 1 && label.length <= 100 && LABEL_CHARS.test(label) && !/^\d/.test(label) && !RESERVED_PREFIX.test(label);
}
