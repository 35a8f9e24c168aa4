import type { Api } from "../../api/client";

/** A call to the server's admin API (X-Amz-Target OpenSSM.<operation>: IAM's operations, the audit trail, events). */
export const admin = <T = Record<string, unknown>>(api: Api, operation: string, input: Record<string, unknown> = {}) =>
  api.json<T>(`OpenSSM.${operation}`, input);

export interface IamUser {
  UserName: string;
  UserId: string;
  Arn: string;
  Path: string;
  CreateDate: number;
  Tags?: { Key: string; Value: string }[];
}

export interface IamRole {
  RoleName: string;
  RoleId: string;
  Arn: string;
  Path: string;
  CreateDate: number;
  AssumeRolePolicyDocument?: string;
  Tags?: { Key: string; Value: string }[];
}

export interface AccessKeyMetadata {
  UserName: string;
  AccessKeyId: string;
  Status: "Active" | "Inactive";
  CreateDate: number;
}

/** Every page of an IAM Marker-paged listing (users and roles of one account are few). */
export async function allPages<T>(api: Api, operation: string, member: string, input: Record<string, unknown> = {}): Promise<T[]> {
  const out: T[] = [];
  let marker: string | undefined;
  do {
    const page = await admin<Record<string, unknown>>(api, operation, { ...input, ...(marker ? { Marker: marker } : {}) });
    out.push(...((page[member] as T[]) ?? []));
    marker = page.IsTruncated ? (page.Marker as string) : undefined;
  } while (marker);
  return out;
}
