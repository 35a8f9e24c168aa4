import type { AnyDb } from "../../storage/database.js";
import type { Scope } from "../../storage/scope.js";
import { awsType, type TypeSchema } from "./schemas.js";
import { type CustomSchemaRow, getCustomSchema, listCustomSchemas } from "./store.js";

/** The schema of a Custom: type as recorded from PutInventory. */
export function customSchemaOf(row: CustomSchemaRow): TypeSchema {
  return customSchema(row.type_name, row.version, JSON.parse(row.attributes) as CustomAttribute[]);
}

export interface CustomAttribute {
  Name: string;
  DataType: "string" | "number";
}

/** A Custom: type's schema: its key column is Name when it has one, else its first attribute. */
export function customSchema(typeName: string, version: string, attrs: CustomAttribute[]): TypeSchema {
  const attributes = attrs.map((a) => ({ name: a.Name, dataType: a.DataType }));
  return { typeName, version, accepts: [], attributes, key: attributes.some((a) => a.name === "Name") ? "Name" : attributes[0]?.name };
}

/** An AWS type, or a Custom: type this account has sent data of. */
export async function schemaFor(db: AnyDb, scope: Scope, typeName: string): Promise<TypeSchema | undefined> {
  const aws = awsType(typeName);
  if (aws) return aws;
  if (!typeName.startsWith("Custom:")) return undefined;
  const row = await getCustomSchema(db, scope, typeName);
  return row ? customSchemaOf(row) : undefined;
}

export async function customSchemas(db: AnyDb, scope: Scope): Promise<TypeSchema[]> {
  return (await listCustomSchemas(db, scope)).map(customSchemaOf);
}

/** "AWS:Application.Name" → type and attribute (the type name may itself hold dots: split at the last). */
export function splitKey(key: string): { typeName: string; attribute?: string } {
  const dot = key.lastIndexOf(".");
  const colon = key.indexOf(":");
  if (dot <= colon) return { typeName: key };
  return { typeName: key.slice(0, dot), attribute: key.slice(dot + 1) };
}
