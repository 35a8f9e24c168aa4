import type { PutComplianceItemsRequest } from "@aws-sdk/client-ssm";
import { ApiError } from "../../errors.js";

/** The items of one call, as JSON. */
const MAX_ITEMS_BYTES = 1024 * 1024;
/** One item, as JSON. */
const MAX_ITEM_BYTES = 4096;

/**
 * PutComplianceItems' checks of the items themselves, AWS's limits: an item of at most 4 KB as JSON,
 * 1 MB for the call's items, each Id once. It reads nothing else, so it runs where the body is
 * parsed: on a body thread for a large body (up to 10,000 items), in process otherwise.
 */
export function preparePutComplianceItems(input: PutComplianceItemsRequest): PutComplianceItemsRequest {
  const items = input.Items ?? [];
  let total = 0;
  for (const item of items) {
    const size = Buffer.byteLength(JSON.stringify(item));
    if (size > MAX_ITEM_BYTES) {
      throw new ApiError(
        "ItemSizeLimitExceededException",
        `The compliance item ${item.Id ?? item.Title ?? ""} is ${size} bytes; an item may hold at most ${MAX_ITEM_BYTES}.`,
        400,
        { TypeName: String(input.ComplianceType) },
      );
    }
    total += size;
  }
  if (total > MAX_ITEMS_BYTES)
    throw new ApiError("TotalSizeLimitExceededException", `The items of this call hold ${total} bytes; send at most ${MAX_ITEMS_BYTES} per call.`);
  const seen = new Set<string>();
  for (const { Id } of items) {
    if (Id === undefined) continue;
    if (seen.has(Id)) throw new ApiError("InvalidItemContentException", `The item Id ${Id} appears twice in Items.`);
    seen.add(Id);
  }
  return input;
}
