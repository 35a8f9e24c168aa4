/**
 * The regions a server answers. A request's region comes from its SigV4 credential scope and keys
 * every resource, so a mistyped region (us-east1) would silently open a separate, empty namespace:
 * only these names are accepted. The operator sets the list with --regions / OPENSSM_REGIONS; the
 * default is AWS's region names in its commercial, GovCloud (US) and China partitions (botocore's
 * partitions.json, 2025).
 */
export const AWS_REGIONS: readonly string[] = [
  // aws
  "af-south-1",
  "ap-east-1",
  "ap-east-2",
  "ap-northeast-1",
  "ap-northeast-2",
  "ap-northeast-3",
  "ap-south-1",
  "ap-south-2",
  "ap-southeast-1",
  "ap-southeast-2",
  "ap-southeast-3",
  "ap-southeast-4",
  "ap-southeast-5",
  "ap-southeast-6",
  "ap-southeast-7",
  "ca-central-1",
  "ca-west-1",
  "eu-central-1",
  "eu-central-2",
  "eu-north-1",
  "eu-south-1",
  "eu-south-2",
  "eu-west-1",
  "eu-west-2",
  "eu-west-3",
  "il-central-1",
  "me-central-1",
  "me-south-1",
  "mx-central-1",
  "sa-east-1",
  "us-east-1",
  "us-east-2",
  "us-west-1",
  "us-west-2",
  // aws-us-gov
  "us-gov-east-1",
  "us-gov-west-1",
  // aws-cn
  "cn-north-1",
  "cn-northwest-1",
];

/** A region name as SigV4 scopes carry it: lower-case letters, digits and dashes. */
const REGION_NAME = /^[a-z][a-z0-9-]{0,31}$/;

/** Checks the names given to --regions / OPENSSM_REGIONS (undefined when none were: AWS's list applies). */
export function checkRegionNames(names: readonly string[] | undefined): string[] | undefined {
  if (!names || names.length === 0) return undefined;
  const bad = names.filter((n) => !REGION_NAME.test(n));
  if (bad.length) {
    throw new Error(`--regions / OPENSSM_REGIONS takes region names such as us-east-1, separated by commas; not ${bad.map((b) => `'${b}'`).join(", ")}`);
  }
  return [...new Set(names)];
}

/**
 * Why a request's region is refused. AWS answers a credential scoped to a region its endpoint does
 * not serve with InvalidSignatureException "Credential should be scoped to a valid region, not
 * '<region>'." (an unknown region never gets past AWS's endpoint); openssm gives the same error and
 * message, then says where its list comes from.
 */
export function regionRefusal(region: string, allowed: readonly string[], fromOperator: boolean): string {
  const source = fromOperator ? "the regions set by --regions / OPENSSM_REGIONS" : "AWS's region names (set --regions / OPENSSM_REGIONS to choose others)";
  return `Credential should be scoped to a valid region, not '${region.slice(0, 64)}'. This server accepts ${source}: ${allowed.join(", ")}.`;
}
