/** The service settings Change Manager honours (AWS's ids; values through Get/Update/ResetServiceSetting). */
export const REQUIRE_APPROVED_TEMPLATES = "/ssm/change-management/require-approved-templates-only";
export const TEMPLATE_REVIEWERS = "/ssm/documents/automation/change-template/reviewers";
export const CALENDAR_OVERRIDE_APPROVERS = "/ssm/change-management/change-calendar/override-approver-list";
