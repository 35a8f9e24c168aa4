import { type Action, str } from "./types.js";

/** aws:updateVariable: sets a runbook variable (Name: variable:<name>) to Value. */
export const updateVariableAction: Action = {
  async run(r) {
    const name = str(r.inputs.Name).replace(/^variable:/, "");
    const runbookVariables = JSON.parse(r.exec.runbook).variables ?? {};
    if (!Object.hasOwn(runbookVariables, name)) {
      return { kind: "failed", message: `The runbook declares no variable ${name}; declare it under variables: before updating it.` };
    }
    return { kind: "success", variables: { [name]: r.inputs.Value }, outputs: { [name]: r.inputs.Value } };
  },
};
