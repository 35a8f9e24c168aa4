import type { CreateDocumentRequest } from "@aws-sdk/client-ssm";
import { ApiError } from "../../errors.js";
import { isUniqueViolation } from "../../storage/database.js";
import type { RequestContext } from "../../runtime.js";
import { op } from "../../runtime.js";
import { getTagList, putTags, tagProblem } from "../tags/index.js";
import { loadVersion, ownDocument } from "./access.js";
import { requestTagKeys } from "../../iam/authorize.js";
import { documentDescription } from "./describe.js";
import { MAX_DOCUMENTS_PER_ACCOUNT, MAX_TAGS } from "./limits.js";
import { checkNewDocumentName } from "./names.js";
import { prepareVersion } from "./prepare.js";
import { countDocuments, docs, insertNewDocument } from "./store.js";
import { TAG_TYPE } from "./tag-type.js";

export const createDocument = op<CreateDocumentRequest, object>({
  service: "ssm",
  name: "CreateDocument",
  // The request's tags are condition keys (aws:RequestTag/<key>, aws:TagKeys), so policies that require tags on new documents work as on AWS.
  resources: (ctx, input) => ({
    resources: [{ arn: ctx.arn("ssm", `document/${input.Name}`), tags: async () => ({}) }],
    context: requestTagKeys(input.Tags),
    prepared: undefined,
  }),
  async handle(ctx: RequestContext, input) {
    const name = String(input.Name);
    const tags = (input.Tags ?? []).map((t) => ({ Key: String(t.Key), Value: String(t.Value ?? "") }));
    checkNewDocumentName(name);
    const documentType = input.DocumentType ?? "Command";
    const prepared = await prepareVersion(ctx, documentType, input, name);
    const problem = tagProblem({}, tags, MAX_TAGS);
    if (problem) throw new ApiError(problem.includes("reserved") ? "InvalidParameters" : "TooManyTagsError", problem);
    const scope = { accountId: ctx.accountId, region: ctx.region };
    const db = docs(ctx.services.db);
    if ((await countDocuments(db, scope)) >= MAX_DOCUMENTS_PER_ACCOUNT) {
      throw new ApiError(
        "DocumentLimitExceeded",
        `This account already has ${MAX_DOCUMENTS_PER_ACCOUNT} documents in ${ctx.region}, the most it may have. Delete documents you no longer use.`,
      );
    }
    const now = ctx.now().getTime();
    try {
      // The document, its first version and its tags: all of them or none.
      await ctx.transaction(async (tx) => {
        await insertNewDocument(tx.db, scope, name, documentType, prepared, now);
        if (tags.length) await putTags(tx.db, scope, TAG_TYPE, name, tags);
      });
    } catch (e) {
      if (isUniqueViolation(e))
        throw new ApiError(
          "DocumentAlreadyExists",
          `A document named ${name} already exists in this account and region. Use UpdateDocument to add a version, or choose another name.`,
        );
      throw e;
    }
    const handle = await ownDocument(ctx, name);
    if (!handle) throw new Error(`document ${name} vanished after it was created`);
    const view = await loadVersion(ctx, handle, { version: "1" });
    return { DocumentDescription: documentDescription(view, await getTagList(ctx.services.db, scope, TAG_TYPE, name)) };
  },
});
