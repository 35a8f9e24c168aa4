/** AWS's quotas for documents, enforced as AWS enforces them. */
export const MAX_DOCUMENTS_PER_ACCOUNT = 500;
export const MAX_VERSIONS_PER_DOCUMENT = 1000;
export const MAX_SHARED_ACCOUNTS = 20;
export const MAX_TAGS = 50;
