import type { PolicyDocument } from "../../iam/policy.js";
import type { Scope } from "./store.js";
import { nodeArn } from "./store.js";

/**
 * What a node's temporary credentials may do: the actions of AWS's AmazonSSMManagedInstanceCore
 * managed policy, no more. Actions that name a managed node are allowed only on the node itself, so
 * capabilities that implement them must list `arn:aws:ssm:<region>:<account>:managed-instance/<id>`
 * (nodeArn) among their resources — with the default "*" a node is refused (fail closed).
 */
export const NODE_SELF_ACTIONS = [
  "ssm:UpdateInstanceInformation",
  "ssm:ListInstanceAssociations",
  "ssm:UpdateInstanceAssociationStatus",
  "ssm:UpdateAssociationStatus",
  "ssm:PutInventory",
  "ssm:PutComplianceItems",
  "ssm:PutConfigurePackageResult",
  "ssm:GetDeployablePatchSnapshotForInstance",
];

/** Reads the agent needs that name no node (documents, parameters, manifests, the legacy association calls). */
export const NODE_READ_ACTIONS = [
  "ssm:GetDocument",
  "ssm:DescribeDocument",
  "ssm:GetManifest",
  "ssm:GetParameter",
  "ssm:GetParameters",
  "ssm:DescribeAssociation",
  "ssm:ListAssociations",
];

export const NODE_CHANNEL_ACTIONS = ["ssmmessages:*", "ec2messages:*"];

export const NODE_POLICY_NAME = "AmazonSSMManagedInstanceCore";

export function nodePolicy(scope: Scope, instanceId: string): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "OnlyThisNode",
        Effect: "Allow",
        Action: NODE_SELF_ACTIONS,
        Resource: [
          nodeArn(scope, instanceId),
          `arn:aws:ssm:${scope.region}:${scope.accountId}:association/*`,
          `arn:aws:ssm:${scope.region}:*:document/*`,
          `arn:aws:ssm:${scope.region}:${scope.accountId}:patchbaseline/*`,
        ],
      },
      { Sid: "Read", Effect: "Allow", Action: NODE_READ_ACTIONS, Resource: "*" },
      { Sid: "AgentChannels", Effect: "Allow", Action: NODE_CHANNEL_ACTIONS, Resource: "*" },
    ],
  };
}

/** What a request signed with the node's RSA key may do: get credentials and rotate the key. */
export const RSA_KEY_POLICY: PolicyDocument = {
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Action: ["ssm:RequestManagedInstanceRoleToken", "ssm:UpdateManagedInstancePublicKey"], Resource: "*" }],
};
