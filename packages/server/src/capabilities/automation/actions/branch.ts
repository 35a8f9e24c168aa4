import { ChoiceError, evaluateCondition } from "./choices.js";
import { type Action, str } from "./types.js";

/** aws:branch: the first Choice whose condition holds names the next step; else Default; else the step fails. */
export const branchAction: Action = {
  async run(r) {
    const choices = Array.isArray(r.inputs.Choices) ? (r.inputs.Choices as Record<string, unknown>[]) : [];
    try {
      for (const choice of choices) {
        if (evaluateCondition(choice)) return { kind: "success", nextStep: str(choice.NextStep), outputs: {} };
      }
    } catch (e) {
      if (e instanceof ChoiceError) return { kind: "failed", message: e.message };
      throw e;
    }
    if (r.inputs.Default !== undefined) return { kind: "success", nextStep: str(r.inputs.Default) };
    return { kind: "failed", message: "No choice of the branch matched and it has no Default step." };
  },
};
