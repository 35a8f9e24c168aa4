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
