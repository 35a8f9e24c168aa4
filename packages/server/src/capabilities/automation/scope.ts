import type { Services } from "../../runtime.js";
import type { ExecutionIdentity } from "./identity.js";
import { callApi } from "./internal-call.js";
import { globalValues, type ReferenceScope } from "./references.js";
import { parseJson } from "./store.js";
import type { ExecutionRow, StepRow } from "./tables.js";

/** What `{{ }}` references of an execution can name, as of now. */
export function referenceScope(services: Services, exec: ExecutionRow, steps: StepRow[], identity: ExecutionIdentity, now: number): ReferenceScope {
  const stepOutputs = new Map<string, Record<string, unknown>>();
  for (const s of steps) {
    const outputs = parseJson<Record<string, unknown>>(s.outputs, {});
    if (Object.keys(outputs).length > 0 || !stepOutputs.has(s.step_name)) stepOutputs.set(s.step_name, outputs);
  }
  const scope = { accountId: exec.account_id, region: exec.region };
  return {
    parameters: parseJson(exec.typed_parameters, {}),
    variables: parseJson(exec.variables, {}),
    stepOutputs,
    globals: globalValues(scope, exec.execution_id, now),
    async readParameter(name, decrypt) {
      const r = await callApi(services, identity, "ssm", "GetParameter", { Name: name, WithDecryption: decrypt }, { executionId: exec.execution_id, scope });
      const p = r.Parameter as { Type?: string; Value?: string };
      return p.Type === "StringList" ? String(p.Value).split(",") : p.Value;
    },
  };
}
