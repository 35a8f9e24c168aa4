import type { Capability } from "../../runtime.js";
import { keyDeletionJob } from "./deletion.js";
import { aliasOperations } from "./ops-aliases.js";
import { cryptoOperations } from "./ops-crypto.js";
import { keyOperations } from "./ops-keys.js";
import { kmsMigrations } from "./tables.js";
import { tagOperations } from "./ops-tags.js";

export { decryptFor, encryptFor, resolveKey } from "./use.js";

/** The small KMS API (TrentService.*) that SecureString parameters need, on the same endpoint as SSM. */
export const kmsCapability: Capability = {
  name: "kms",
  migrations: kmsMigrations,
  operations: [...keyOperations, ...aliasOperations, ...cryptoOperations, ...tagOperations],
  start(services) {
    services.scheduler.register(keyDeletionJob(services));
  },
};
