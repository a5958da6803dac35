import { useId, useState, type SyntheticEvent } from "react";

type Outcome = { status: number; body: string } | { error: string };

/**
 * Sends GET /analytics/v1/report with the pasted credentials as HTTP Basic auth and shows the
 * answer. The secret field is emptied after every request, so it does not linger on the page.
 */
export function TryCredentials() {
  const [keyId, setKeyId] = useState("");
  const [secret, setSecret] = useState("");
  const [pending, setPending] = useState(false);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const resultId = useId();

  async function send(event: SyntheticEvent) {
    event.preventDefault();
    setPending(true);
    try {
      const response = await fetch("/analytics/v1/report", {
        headers: { authorization: `Basic ${btoa(`${keyId.trim()}:${secret.trim()}`)}` },
        cache: "no-store",
        credentials: "omit",
      });
      const text = await response.text();
      setOutcome({ status: response.status, body: pretty(text) });
    } catch (error) {
      setOutcome({ error: error instanceof Error ? error.message : String(error) });
    } finally {
      setSecret("");
      setPending(false);
    }
  }

  return (
    <form className="try" onSubmit={(event) => void send(event)} aria-describedby={outcome ? resultId : undefined}>
      <div className="try-fields">
        <label className="field">
          <span>Key ID</span>
          <input
            name="keyId"
            value={keyId}
            onChange={(event) => {
              setKeyId(event.target.value);
            }}
            autoComplete="off"
            spellCheck={false}
            required
          />
        </label>
        <label className="field">
          <span>Secret</span>
          <input
            name="secret"
            type="password"
            value={secret}
            onChange={(event) => {
              setSecret(event.target.value);
            }}
            autoComplete="off"
            spellCheck={false}
            required
          />
        </label>
      </div>
      <button className="button" type="submit" disabled={pending}>
        {pending ? "Sending…" : "Send request"}
      </button>
      <div id={resultId} role="status" aria-live="polite">
        {outcome &&
          ("error" in outcome ? (
            <p className="form-error">The request failed: {outcome.error}</p>
          ) : (
            <div className="try-result" data-ok={outcome.status === 200}>
              <p className="try-status">
                {outcome.status === 200 ? "200 OK — the Analytics API accepted these credentials." : ""}
                {outcome.status === 401 ? "401 Unauthorized — the Analytics API refused these credentials." : ""}
                {outcome.status !== 200 && outcome.status !== 401 ? `HTTP ${outcome.status}` : ""}
              </p>
              <pre>{outcome.body}</pre>
            </div>
          ))}
      </div>
    </form>
  );
}

function pretty(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}
