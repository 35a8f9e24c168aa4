import type { Services } from "../../runtime.js";
import type { ScheduledJob } from "../../scheduler/scheduler.js";
import { tables } from "../../storage/database.js";
import { deleteAllTags } from "../tags/index.js";
import { KEY_TAG_TYPE } from "./access.js";
import type { KmsTables } from "./tables.js";

/** Removes keys whose deletion date has passed, with their aliases and tags (their ciphertexts become undecryptable). */
export function keyDeletionJob(services: Services): ScheduledJob {
  const d = tables<KmsTables>(services.db);
  return {
    name: "kms-key-deletion",
    async run(now) {
      const due = await d
        .selectFrom("kms_keys")
        .select(["account_id", "region", "key_id"])
        .where("key_state", "=", "PendingDeletion")
        .where("deletion_date", "<=", now)
        .execute();
      for (const key of due) {
        await services.transaction(async (tx) => {
          const trx = tables<KmsTables>(tx.db);
          const scope = { accountId: key.account_id, region: key.region };
          const r = await trx
            .deleteFrom("kms_keys")
            .where("account_id", "=", key.account_id)
            .where("region", "=", key.region)
            .where("key_id", "=", key.key_id)
            .where("key_state", "=", "PendingDeletion")
            .where("deletion_date", "<=", now)
            .executeTakeFirst();
          if (Number(r.numDeletedRows) === 0) return;
          await trx
            .deleteFrom("kms_aliases")
            .where("account_id", "=", key.account_id)
            .where("region", "=", key.region)
            .where("key_id", "=", key.key_id)
            .execute();
          await deleteAllTags(tx.db, scope, KEY_TAG_TYPE, key.key_id);
          const arn = `arn:aws:kms:${key.region}:${key.account_id}:key/${key.key_id}`;
          services.log.info({ key: arn }, "KMS key deleted at the end of its waiting period");
          tx.publish({
            source: "aws.kms",
            "detail-type": "KMS CMK Deletion",
            account: key.account_id,
            region: key.region,
            resources: [arn],
            detail: { "key-id": key.key_id },
          });
        });
      }
    },
  };
}
