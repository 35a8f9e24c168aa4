import type { Kysely, Migration } from "kysely";
import { type AnyDb, type Engine, tables } from "../../storage/database.js";

/** Hybrid activations and the managed nodes registered with them, keyed by account and region. */
export interface NodeTables {
  nodes_activations: {
    activation_id: string;
    account_id: string;
    region: string;
    /** sha256 hex of the activation code: the code itself is shown once and never stored */
    code_hash: string;
    description: string | null;
    default_instance_name: string | null;
    iam_role: string;
    registration_limit: number;
    registrations_count: number;
    expiration_date: number;
    created_date: number;
    /** JSON [{Key, Value}] copied to every node the activation registers */
    tags: string;
    /** JSON [{Key, Value}] */
    registration_metadata: string;
    /** set by DeleteActivation; the row stays so registration can say the activation was deleted */
    deleted_at: number | null;
  };
  nodes_instances: {
    instance_id: string;
    account_id: string;
    region: string;
    activation_id: string | null;
    iam_role: string;
    name: string | null;
    /** base64 SPKI DER of the node's current RSA public key */
    public_key: string;
    public_key_type: string;
    fingerprint: string;
    key_updated_at: number;
    registered_at: number;
    deregistered_at: number | null;
    /** the principal that holds the node's current temporary credentials */
    principal_arn: string | null;
    last_ping_at: number | null;
    agent_name: string | null;
    agent_version: string | null;
    platform_type: string | null;
    platform_name: string | null;
    platform_version: string | null;
    computer_name: string | null;
    ip_address: string | null;
    /** JSON of the remaining UpdateInstanceInformation fields (AgentStatus, AvailabilityZone, SSMConnectionChannel, ...) */
    info: string;
    association_status: string | null;
    last_association_at: number | null;
    last_successful_association_at: number | null;
    /** JSON {DetailedStatus, InstanceAssociationStatusAggregatedCount} */
    association_overview: string | null;
  };
}

export type ActivationRow = NodeTables["nodes_activations"];
export type InstanceRow = NodeTables["nodes_instances"];

export const nodeDb = (db: AnyDb): Kysely<NodeTables> => tables<NodeTables>(db);

export function nodeMigrations(_engine: Engine): Record<string, Migration> {
  return {
    "nodes-001-activations-and-instances": {
      async up(db: AnyDb) {
        await db.schema
          .createTable("nodes_activations")
          .addColumn("activation_id", "varchar(36)", (c) => c.primaryKey())
          .addColumn("account_id", "varchar(12)", (c) => c.notNull())
          .addColumn("region", "varchar(32)", (c) => c.notNull())
          .addColumn("code_hash", "varchar(64)", (c) => c.notNull())
          .addColumn("description", "text")
          .addColumn("default_instance_name", "varchar(256)")
          .addColumn("iam_role", "varchar(64)", (c) => c.notNull())
          .addColumn("registration_limit", "integer", (c) => c.notNull())
          .addColumn("registrations_count", "integer", (c) => c.notNull())
          .addColumn("expiration_date", "bigint", (c) => c.notNull())
          .addColumn("created_date", "bigint", (c) => c.notNull())
          .addColumn("tags", "text", (c) => c.notNull())
          .addColumn("registration_metadata", "text", (c) => c.notNull())
          .addColumn("deleted_at", "bigint")
          .execute();
        await db.schema.createIndex("nodes_activations_scope").on("nodes_activations").columns(["account_id", "region", "created_date"]).execute();
        await db.schema
          .createTable("nodes_instances")
          .addColumn("instance_id", "varchar(32)", (c) => c.primaryKey())
          .addColumn("account_id", "varchar(12)", (c) => c.notNull())
          .addColumn("region", "varchar(32)", (c) => c.notNull())
          .addColumn("activation_id", "varchar(36)")
          .addColumn("iam_role", "varchar(64)", (c) => c.notNull())
          .addColumn("name", "varchar(256)")
          .addColumn("public_key", "text", (c) => c.notNull())
          .addColumn("public_key_type", "varchar(16)", (c) => c.notNull())
          .addColumn("fingerprint", "varchar(256)", (c) => c.notNull())
          .addColumn("key_updated_at", "bigint", (c) => c.notNull())
          .addColumn("registered_at", "bigint", (c) => c.notNull())
          .addColumn("deregistered_at", "bigint")
          .addColumn("principal_arn", "varchar(512)")
          .addColumn("last_ping_at", "bigint")
          .addColumn("agent_name", "varchar(255)")
          .addColumn("agent_version", "varchar(64)")
          .addColumn("platform_type", "varchar(16)")
          .addColumn("platform_name", "varchar(255)")
          .addColumn("platform_version", "varchar(255)")
          .addColumn("computer_name", "varchar(255)")
          .addColumn("ip_address", "varchar(255)")
          .addColumn("info", "text", (c) => c.notNull())
          .addColumn("association_status", "varchar(32)")
          .addColumn("last_association_at", "bigint")
          .addColumn("last_successful_association_at", "bigint")
          .addColumn("association_overview", "text")
          .execute();
        await db.schema
          .createIndex("nodes_instances_scope")
          .on("nodes_instances")
          .columns(["account_id", "region", "deregistered_at", "instance_id"])
          .execute();
      },
    },
    // Replicas ask "which nodes were deregistered lately?" every second, whatever the account.
    "nodes-002-deregistered-index": {
      async up(db: AnyDb) {
        await db.schema.createIndex("nodes_instances_deregistered").on("nodes_instances").columns(["deregistered_at"]).execute();
      },
    },
  };
}
