import type { ApolloClient } from "@apollo/client";
import { ApolloProvider } from "@apollo/client/react";
import { useCallback, useEffect, useId, useMemo, useReducer, useRef, useState } from "react";
import { flushSync } from "react-dom";
import { themeAttributes, type Appearance } from "./appearance";
import { Button } from "./Button";
import { createKeyturnClient } from "./connection";
import { WidgetContext, useWidget, type WidgetSettings } from "./context";
import { CreateSecretDialog } from "./CreateSecretDialog";
import type { EnvFileOptions } from "./env-file";
import { describeError } from "./errors";
import { KeyIcon, PlusIcon } from "./icons";
import { prepareFormatters, resolveMessages, type Localization } from "./localization";
import { RevokeSecretDialog } from "./RevokeSecretDialog";
import { RotateSecretDialog } from "./RotateSecretDialog";
import { SecretRevealDialog } from "./SecretRevealDialog";
import { SecretRow } from "./SecretRow";
import { useApiSecrets, type ApiSecretItem, type RevealedCredentials } from "./use-api-secrets";
import { NowContext, useNow } from "./use-now";

/** What happened, for the host's own analytics or toasts. Never carries a secret. */
export interface SecretChange {
  type: "created" | "rotated" | "revoked";
  secretId: string;
  /** The new Key ID (created, rotated). */
  keyId?: string;
}

interface SectionOptions {
  /** The host project whose secrets to show. */
  projectId: string;
  appearance?: Appearance;
  localization?: Localization;
  /** Variable names in the downloaded .env file. */
  envFile?: EnvFileOptions;
  /** The host's Analytics API URL: the reveal dialog then offers a ready `curl` line. */
  exampleRequestUrl?: string;
  /** Extra class names on the section's root. */
  className?: string;
  onChange?: (change: SecretChange) => void;
}

/** Props of `<ApiSecretSection>`: the host's own ApolloClient, or an endpoint and a token source. */
export type ApiSecretSectionProps = SectionOptions &
  (
    | { client: ApolloClient; endpoint?: never; getAccessToken?: never }
    | { client?: never; endpoint: string; getAccessToken: () => Promise<string> }
  );

/**
 * The "API Secret" section: the project's secrets, and Create secret / Rotate / Revoke for its
 * administrators, with the one-time reveal after create and rotate.
 */
export function ApiSecretSection(props: ApiSecretSectionProps) {
  const { client, endpoint, getAccessToken } = props;
  // The latest getAccessToken, so a host passing a new function each render keeps one client.
  const tokenSource = useRef(getAccessToken);
  useEffect(() => {
    tokenSource.current = getAccessToken;
  });
  const ownClient = useMemo(
    () =>
      client || !endpoint
        ? null
        : // eslint-disable-next-line react-hooks/refs -- the ref is read when a request is sent, not during render
          createKeyturnClient({
            endpoint,
            getAccessToken: () => {
              if (!tokenSource.current) return Promise.reject(new Error("getAccessToken is missing"));
              return tokenSource.current();
            },
          }),
    [client, endpoint],
  );
  const settings = useMemo<WidgetSettings>(
    () => ({
      messages: resolveMessages(props.localization),
      locale: props.localization?.locale,
      appearance: props.appearance,
    }),
    [props.localization, props.appearance],
  );
  const active = client ?? ownClient;
  if (!active) throw new Error("ApiSecretSection needs either `client` or `endpoint` and `getAccessToken`");
  return (
    <ApolloProvider client={active}>
      <WidgetContext.Provider value={settings}>
        <Section {...props} />
      </WidgetContext.Provider>
    </ApolloProvider>
  );
}

type OpenDialog =
  | { kind: "create" }
  | { kind: "rotate"; secret: ApiSecretItem }
  | { kind: "revoke"; secret: ApiSecretItem }
  | { kind: "reveal"; reason: "created" | "rotated"; name: string; credentials: RevealedCredentials };

function Section({ projectId, appearance, envFile, exampleRequestUrl, className, onChange }: SectionOptions) {
  const { messages, locale } = useWidget();
  const now = useNow();
  const { secrets, canManage, loading, error, retry, create, rotate, revoke } = useApiSecrets(projectId);
  // The revealed credentials live only here, and only until the reveal dialog is confirmed closed.
  const [dialog, setDialog] = useState<OpenDialog | null>(null);
  const [retrying, setRetrying] = useState(false);
  // React keeps the previous render's props in a spare fiber until the next render. One more
  // render after the reveal closes lets go of the secret now, not whenever the section next updates.
  const [, settle] = useReducer((renders: number) => renders + 1, 0);
  // Leaving the page ends a reveal, synchronously: a page kept in the back/forward cache must not
  // come back with the secret on screen.
  useEffect(() => {
    const endReveal = () => {
      flushSync(() => {
        setDialog((current) => (current?.kind === "reveal" ? null : current));
      });
    };
    window.addEventListener("pagehide", endReveal);
    return () => {
      window.removeEventListener("pagehide", endReveal);
    };
  }, []);
  // The first Intl formatter of a fresh page costs ≈ 50–65 ms in Chromium (ICU loads its data),
  // whatever it formats. Built in the task after mount, that happens while the token and the list
  // are on their way, not once the rows are waiting for it. (An idle callback came too late: a
  // page that has just loaded is rarely idle before the list arrives.)
  useEffect(() => {
    const timer = setTimeout(() => {
      prepareFormatters(locale);
    });
    return () => {
      clearTimeout(timer);
    };
  }, [locale]);
  const revealClosed = useRef(false);
  useEffect(() => {
    if (!revealClosed.current) return;
    revealClosed.current = false;
    settle();
  });
  const titleId = useId();
  const flowStart = useRef<HTMLElement | null>(null);
  const createButton = useRef<HTMLButtonElement>(null);
  const returnFocus = () => (flowStart.current?.isConnected ? flowStart.current : createButton.current);

  const open = useCallback((next: OpenDialog, trigger: HTMLElement | null) => {
    flowStart.current = trigger;
    setDialog(next);
  }, []);
  // The same functions on every render, so the memoised rows re-render only when their secret changes.
  const openRotate = useCallback(
    (secret: ApiSecretItem, trigger: HTMLElement) => {
      open({ kind: "rotate", secret }, trigger);
    },
    [open],
  );
  const openRevoke = useCallback(
    (secret: ApiSecretItem, trigger: HTMLElement) => {
      open({ kind: "revoke", secret }, trigger);
    },
    [open],
  );

  const state = loading ? "loading" : error ? "error" : secrets?.length ? "ready" : "empty";
  const createTrigger = canManage && (
    <Button
      ref={createButton}
      variant="primary"
      icon={<PlusIcon />}
      onClick={(event) => {
        open({ kind: "create" }, event.currentTarget);
      }}
    >
      {messages.createSecret}
    </Button>
  );

  return (
    <section
      className={`kt-root kt-section${className ? ` ${className}` : ""}`}
      data-state={state}
      aria-labelledby={titleId}
      {...themeAttributes(appearance)}
    >
      <header className="kt-header">
        <div>
          <h2 id={titleId} className="kt-title">
            {messages.title}
          </h2>
          <p className="kt-description">{messages.description}</p>
        </div>
        {state === "ready" && createTrigger}
      </header>

      {state === "loading" && (
        <div className="kt-skeleton" aria-busy="true">
          <span className="kt-visually-hidden" role="status">
            {messages.loading}
          </span>
          {[0, 1, 2].map((row) => (
            <div key={row} className="kt-skeleton-row" aria-hidden="true">
              <span />
              <span />
            </div>
          ))}
        </div>
      )}

      {state === "error" && (
        <div className="kt-error" role="alert">
          <p>{messages.loadError}</p>
          <p className="kt-hint">{describeError(error, messages)}</p>
          <Button
            pending={retrying}
            onClick={() => {
              setRetrying(true);
              retry()
                .catch(() => undefined)
                .finally(() => {
                  setRetrying(false);
                });
            }}
          >
            {messages.retry}
          </Button>
        </div>
      )}

      {state === "empty" && (
        <div className="kt-empty">
          <span className="kt-empty-icon">
            <KeyIcon />
          </span>
          <p className="kt-empty-title">{messages.emptyTitle}</p>
          <p className="kt-hint">{canManage ? messages.emptyDescription : messages.emptyViewerDescription}</p>
          {createTrigger}
        </div>
      )}

      {state === "ready" && secrets && (
        <NowContext.Provider value={now}>
          <ul className="kt-list">
            {secrets.map((secret) => (
              <SecretRow
                key={secret.id}
                secret={secret}
                canManage={canManage}
                onRotate={openRotate}
                onRevoke={openRevoke}
              />
            ))}
          </ul>
        </NowContext.Provider>
      )}

      {dialog?.kind === "create" && (
        <CreateSecretDialog
          open
          returnFocus={returnFocus}
          onCancel={() => {
            setDialog(null);
          }}
          onCreate={async (name) => {
            const issued = await create(name);
            setDialog({ kind: "reveal", reason: "created", name: issued.name, credentials: issued.credentials });
            onChange?.({ type: "created", secretId: issued.id, keyId: issued.credentials.keyId });
          }}
        />
      )}
      {dialog?.kind === "rotate" && (
        <RotateSecretDialog
          secret={dialog.secret}
          returnFocus={returnFocus}
          onCancel={() => {
            setDialog(null);
          }}
          onRotate={async (gracePeriodSeconds) => {
            const issued = await rotate(dialog.secret.id, gracePeriodSeconds);
            setDialog({ kind: "reveal", reason: "rotated", name: issued.name, credentials: issued.credentials });
            onChange?.({ type: "rotated", secretId: issued.id, keyId: issued.credentials.keyId });
          }}
        />
      )}
      {dialog?.kind === "revoke" && (
        <RevokeSecretDialog
          secret={dialog.secret}
          returnFocus={returnFocus}
          onCancel={() => {
            setDialog(null);
          }}
          onRevoke={async () => {
            await revoke(dialog.secret.id);
            setDialog(null);
            onChange?.({ type: "revoked", secretId: dialog.secret.id });
          }}
        />
      )}
      <SecretRevealDialog
        credentials={dialog?.kind === "reveal" ? dialog.credentials : null}
        reason={dialog?.kind === "reveal" ? dialog.reason : undefined}
        secretName={dialog?.kind === "reveal" ? dialog.name : undefined}
        envFile={envFile}
        exampleRequestUrl={exampleRequestUrl}
        returnFocus={returnFocus}
        onClose={() => {
          revealClosed.current = true;
          setDialog(null);
        }}
      />
    </section>
  );
}
