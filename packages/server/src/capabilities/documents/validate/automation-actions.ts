/** Automation actions and the inputs each cannot run without ("a|b": either). */
export const AUTOMATION_ACTIONS: Record<string, string[]> = {
  "aws:approve": ["Approvers|EnhancedApprovals"],
  "aws:assertAwsResourceProperty": ["Service", "Api", "PropertySelector", "DesiredValues"],
  "aws:branch": ["Choices"],
  "aws:changeInstanceState": ["InstanceIds", "DesiredState"],
  "aws:copyImage": ["SourceImageId", "SourceRegion", "ImageName"],
  "aws:createImage": ["InstanceId", "ImageName"],
  "aws:createStack": ["StackName"],
  "aws:createTags": ["ResourceIds", "Tags"],
  "aws:deleteImage": ["ImageId"],
  "aws:deleteStack": ["StackName"],
  "aws:executeAutomation": ["DocumentName"],
  "aws:executeAwsApi": ["Service", "Api"],
  "aws:executeScript": ["Runtime", "Handler"],
  "aws:executeStateMachine": ["stateMachineArn"],
  "aws:invokeLambdaFunction": ["FunctionName"],
  "aws:invokeWebhook": ["IntegrationName"],
  "aws:loop": ["Steps"],
  "aws:pause": [],
  "aws:runCommand": ["DocumentName"],
  "aws:runInstances": ["ImageId"],
  "aws:sleep": ["Duration|Timestamp"],
  "aws:updateVariable": ["Name", "Value"],
  "aws:waitForAwsResourceProperty": ["Service", "Api", "PropertySelector", "DesiredValues"],
};

/** The types an automation step output or variable may declare. */
export const OUTPUT_TYPES = ["String", "Integer", "Boolean", "StringList", "StringMap", "MapList"];

/** Actions that act on EC2, CloudFormation, Lambda or Step Functions: a self-hosted fleet has none of them. */
export const REFUSED_AUTOMATION_ACTIONS = new Set([
  "aws:changeInstanceState",
  "aws:copyImage",
  "aws:createImage",
  "aws:createStack",
  "aws:deleteImage",
  "aws:deleteStack",
  "aws:executeStateMachine",
  "aws:invokeLambdaFunction",
  "aws:runInstances",
]);

/** The outputs an action gives without declaring them ({{ step.CommandId }} and the like). */
export const NATURAL_OUTPUTS: Record<string, string[]> = {
  "aws:runCommand": ["CommandId", "Status", "ResponseCode", "Output"],
  "aws:executeScript": ["OutputPayload", "Stdout"],
  "aws:executeAutomation": ["ExecutionId", "Status", "Output"],
  "aws:loop": ["CurrentIteration", "CurrentIteratorValue"],
  "aws:approve": ["ApprovalStatus", "ApproverDecisions"],
  "aws:invokeWebhook": ["Response", "ResponseCode"],
};
