import * as AlertDialog from "@radix-ui/react-alert-dialog";
import { useId, useState } from "react";
import { Button } from "./Button";
import { useWidget } from "./context";
import { formatDuration } from "./localization";
import { ThemedLayer, returnFocusTo } from "./ThemedLayer";
import type { ApiSecretItem } from "./use-api-secrets";
import { usePendingAction } from "./use-pending-action";

const HOUR = 3600;

/** The grace periods offered, in seconds; the server accepts 0 to 7 days. */
export const GRACE_CHOICES = [0, HOUR, 24 * HOUR, 7 * 24 * HOUR] as const;

export interface RotateSecretDialogProps {
  secret: ApiSecretItem;
  onCancel: () => void;
  onRotate: (gracePeriodSeconds: number) => Promise<void>;
  returnFocus?: () => HTMLElement | null;
}

export function RotateSecretDialog({ secret, onCancel, onRotate, returnFocus }: RotateSecretDialogProps) {
  const { messages, locale } = useWidget();
  const [grace, setGrace] = useState<number>(0);
  const { pending, error, run } = usePendingAction();
  const name = useId();
  const labels = [messages.graceImmediately, messages.graceOneHour, messages.graceOneDay, messages.graceSevenDays];
  const inGrace = secret.credentials.find((credential) => credential.status === "EXPIRING");

  return (
    <AlertDialog.Root
      open
      onOpenChange={(open) => {
        if (!open && !pending) onCancel();
      }}
    >
      <AlertDialog.Portal>
        <ThemedLayer>
          <AlertDialog.Overlay className="kt-overlay" />
          <AlertDialog.Content className="kt-dialog" onCloseAutoFocus={returnFocusTo(returnFocus)}>
            <AlertDialog.Title className="kt-dialog-title">{messages.rotateTitle(secret.name)}</AlertDialog.Title>
            <AlertDialog.Description className="kt-dialog-description">
              {messages.rotateDescription}
            </AlertDialog.Description>
            <fieldset className="kt-choices">
              <legend className="kt-label">{messages.rotateWhenLabel}</legend>
              {GRACE_CHOICES.map((seconds, index) => (
                <label key={seconds} className="kt-choice">
                  <input
                    type="radio"
                    name={name}
                    value={seconds}
                    checked={grace === seconds}
                    disabled={pending}
                    onChange={() => {
                      setGrace(seconds);
                    }}
                  />
                  <span>{labels[index]}</span>
                </label>
              ))}
            </fieldset>
            <div className="kt-callout" data-tone={grace === 0 ? "danger" : "warning"} aria-live="polite">
              <p>
                {grace === 0
                  ? messages.rotateImmediateWarning
                  : messages.rotateGraceWarning(formatDuration(grace, locale))}
              </p>
              {inGrace && <p>{messages.rotateEndsEarlierGrace(inGrace.keyId)}</p>}
            </div>
            {error && (
              <p className="kt-form-error" role="alert">
                {error}
              </p>
            )}
            <div className="kt-dialog-actions">
              <AlertDialog.Cancel asChild>
                <Button disabled={pending}>{messages.cancel}</Button>
              </AlertDialog.Cancel>
              <Button variant="primary" pending={pending} onClick={() => void run(() => onRotate(grace))}>
                {messages.rotateConfirm}
              </Button>
            </div>
          </AlertDialog.Content>
        </ThemedLayer>
      </AlertDialog.Portal>
    </AlertDialog.Root>
  );
}
