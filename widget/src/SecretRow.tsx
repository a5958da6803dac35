import { memo } from "react";
import { Button } from "./Button";
import { useWidget } from "./context";
import { WarningIcon } from "./icons";
import { formatDateTime, formatRelative } from "./localization";
import type { ApiSecretItem } from "./use-api-secrets";
import { useSectionNow } from "./use-now";

export interface SecretRowProps {
  secret: ApiSecretItem;
  canManage: boolean;
  /** Stable callbacks (the row is memoised): they receive the row's secret and the clicked button. */
  onRotate: (secret: ApiSecretItem, trigger: HTMLElement) => void;
  onRevoke: (secret: ApiSecretItem, trigger: HTMLElement) => void;
}

/** A past moment as relative time. The page's clock ticks every 30 s, so a fresh server time can be a
 * little ahead of it: that reads as "now", never "in 2 seconds". */
function PastTime({ value, format }: { value: string; format: (relative: string) => string }) {
  const { locale } = useWidget();
  const now = useSectionNow();
  const date = new Date(value);
  const relative = formatRelative(date > now ? now : date, now, locale);
  return (
    <time dateTime={value} title={formatDateTime(date, locale)}>
      {format(relative)}
    </time>
  );
}

/** "Previous credentials … stop working in 23 hours", kept current by the section's clock. */
function ExpiryNotice({ keyId, expiresAt }: { keyId: string; expiresAt: string }) {
  const { messages, locale } = useWidget();
  const now = useSectionNow();
  return (
    <p className="kt-notice" data-tone="warning">
      <WarningIcon />
      <span>{messages.stopsWorkingIn(keyId, formatRelative(new Date(expiresAt), now, locale))}</span>
    </p>
  );
}

/**
 * One secret of the list. Memoised: the list re-renders when a dialog opens or closes and on every
 * poll, and a row whose secret (the same object while its data is unchanged: useApiSecrets), access
 * and callbacks are unchanged skips that. The clock reaches only its relative times, via context.
 */
export const SecretRow = memo(function SecretRow({ secret, canManage, onRotate, onRevoke }: SecretRowProps) {
  const { messages } = useWidget();
  const active = secret.status === "ACTIVE";
  const status = secret.status.toLowerCase();
  return (
    <li className="kt-row" data-status={status}>
      <div className="kt-row-main">
        <div className="kt-row-heading">
          <h3 className="kt-row-name">{secret.name}</h3>
          <span className="kt-badge" data-status={status}>
            {active ? messages.statusActive : messages.statusRevoked}
          </span>
        </div>
        <dl className="kt-facts">
          <div className="kt-fact">
            <dt>{messages.keyIdLabel}</dt>
            <dd className="kt-mono">{secret.currentKeyId}</dd>
          </div>
          <div className="kt-fact">
            <dt>{messages.secretLabel}</dt>
            <dd className="kt-mono">{secret.secretHint}</dd>
          </div>
        </dl>
        <p className="kt-meta">
          <PastTime value={secret.createdAt} format={(time) => messages.createdBy(time, secret.createdBy)} />
          {secret.revokedAt ? (
            <PastTime value={secret.revokedAt} format={messages.revokedAt} />
          ) : secret.lastUsedAt ? (
            <PastTime value={secret.lastUsedAt} format={messages.lastUsed} />
          ) : (
            <span>{messages.neverUsed}</span>
          )}
        </p>
        {secret.credentials.map((credential) =>
          credential.status === "EXPIRING" && credential.expiresAt ? (
            <ExpiryNotice key={credential.keyId} keyId={credential.keyId} expiresAt={credential.expiresAt} />
          ) : null,
        )}
      </div>
      {canManage && active && (
        <div className="kt-row-actions">
          <Button
            size="sm"
            aria-label={`${messages.rotate} ${secret.name}`}
            onClick={(event) => {
              onRotate(secret, event.currentTarget);
            }}
          >
            {messages.rotate}
          </Button>
          <Button
            size="sm"
            variant="ghost"
            className="kt-button--danger-text"
            aria-label={`${messages.revoke} ${secret.name}`}
            onClick={(event) => {
              onRevoke(secret, event.currentTarget);
            }}
          >
            {messages.revoke}
          </Button>
        </div>
      )}
    </li>
  );
});
