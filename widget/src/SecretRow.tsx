import { Button } from "./Button";
import { useWidget } from "./context";
import { RotateIcon, WarningIcon } from "./icons";
import { formatDateTime, formatRelative } from "./localization";
import type { ApiSecretItem } from "./use-api-secrets";

export interface SecretRowProps {
  secret: ApiSecretItem;
  now: Date;
  canManage: boolean;
  onRotate: (trigger: HTMLElement) => void;
  onRevoke: (trigger: HTMLElement) => void;
}

/** A past moment as relative time. The page's clock ticks every 30 s, so a fresh server time can be a
 * little ahead of it: that reads as "now", never "in 2 seconds". */
function PastTime({ value, now, format }: { value: string; now: Date; format?: (relative: string) => string }) {
  const { locale } = useWidget();
  const date = new Date(value);
  const relative = formatRelative(date > now ? now : date, now, locale);
  return (
    <time dateTime={value} title={formatDateTime(date, locale)}>
      {format ? format(relative) : relative}
    </time>
  );
}

export function SecretRow({ secret, now, canManage, onRotate, onRevoke }: SecretRowProps) {
  const { messages, locale } = useWidget();
  const active = secret.status === "ACTIVE";
  const expiring = secret.credentials.filter((credential) => credential.status === "EXPIRING");
  return (
    <li className="kt-row" data-status={secret.status.toLowerCase()}>
      <div className="kt-row-main">
        <div className="kt-row-heading">
          <h3 className="kt-row-name">{secret.name}</h3>
          <span className="kt-badge" data-status={secret.status.toLowerCase()}>
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
          <PastTime value={secret.createdAt} now={now} format={(time) => messages.createdBy(time, secret.createdBy)} />
          {secret.revokedAt ? (
            <PastTime value={secret.revokedAt} now={now} format={messages.revokedAt} />
          ) : secret.lastUsedAt ? (
            <PastTime value={secret.lastUsedAt} now={now} format={messages.lastUsed} />
          ) : (
            <span>{messages.neverUsed}</span>
          )}
        </p>
        {expiring.map((credential) =>
          credential.expiresAt ? (
            <p key={credential.keyId} className="kt-notice" data-tone="warning">
              <WarningIcon />
              <span>
                {messages.stopsWorkingIn(credential.keyId, formatRelative(new Date(credential.expiresAt), now, locale))}
              </span>
            </p>
          ) : null,
        )}
      </div>
      {canManage && active && (
        <div className="kt-row-actions">
          <Button
            size="sm"
            icon={<RotateIcon />}
            aria-label={`${messages.rotate} ${secret.name}`}
            onClick={(event) => {
              onRotate(event.currentTarget);
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
              onRevoke(event.currentTarget);
            }}
          >
            {messages.revoke}
          </Button>
        </div>
      )}
    </li>
  );
}
