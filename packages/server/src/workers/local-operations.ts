/**
 * The calls an API worker answers itself: reads that need nothing but storage (no node channels,
 * session relays, scheduler or event subscribers, which live in the main process). Every other call
 * is passed to the main process, so the API behaves the same whichever process a connection reaches.
 */
export const LOCAL_OPERATIONS: ReadonlySet<string> = new Set([
  "AmazonSSM.GetParameter",
  "AmazonSSM.GetParameters",
  "AmazonSSM.GetParametersByPath",
  "AmazonSSM.GetParameterHistory",
  "AmazonSSM.DescribeParameters",
  "AmazonSSM.GetDocument",
  "AmazonSSM.DescribeDocument",
  "AmazonSSM.ListDocuments",
  "AmazonSSM.ListDocumentVersions",
  "AmazonSSM.DescribeDocumentPermission",
  "TrentService.DescribeKey",
  "TrentService.ListKeys",
  "TrentService.ListAliases",
]);
