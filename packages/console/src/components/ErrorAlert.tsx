import Alert from "@cloudscape-design/components/alert";
import Box from "@cloudscape-design/components/box";
import { errorFacts } from "../api/errors";

/** The dismiss button's accessible name (without it the icon button has none). */
const DISMISS = { dismissAriaLabel: "Dismiss the error", errorIconAriaLabel: "Error" };

/**
 * A failed call, as the user should read it. AccessDeniedException: which action on which resource
 * the signed-in identity may not use, and that its IAM policies decide; anything else: AWS's error
 * name and the server's message (which says what to fix).
 */
export function ErrorAlert({ error, onDismiss }: { error: unknown; onDismiss?: () => void }) {
  if (!error) return null;
  const f = errorFacts(error);
  if (f.denied) {
    return (
      <Alert type="error" header="Access denied" dismissible={Boolean(onDismiss)} onDismiss={onDismiss} i18nStrings={DISMISS} data-testid="access-denied">
        <Box variant="p">
          Your policies do not allow {f.denied.action ? <strong>{f.denied.action}</strong> : "this action"}
          {f.denied.resource ? (
            <>
              {" "}
              on <code>{f.denied.resource}</code>
            </>
          ) : null}
          . An administrator can allow it by attaching a policy to your user or role ({f.denied.principal ?? "the signed-in identity"}).
        </Box>
        <Box variant="small">{f.message}</Box>
      </Alert>
    );
  }
  return (
    <Alert type="error" header={f.code} dismissible={Boolean(onDismiss)} onDismiss={onDismiss} i18nStrings={DISMISS} data-testid="api-error">
      {f.message}
    </Alert>
  );
}
