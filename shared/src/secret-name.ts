export const SECRET_NAME_MAX_LENGTH = 100;

// C0/C1 controls and the bidirectional overrides that can make a name display as something else.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const FORBIDDEN_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export type SecretNameCheck = { ok: true; name: string } | { ok: false; message: string };

/**
 * Trims a proposed secret name and checks it: 1–100 characters (code points, as MySQL counts
 * them), no control or bidi-override characters, no unpaired UTF-16 surrogates. Server and widget apply the same rule.
 */
export function checkSecretName(raw: string): SecretNameCheck {
  const name = raw.trim();
  const length = Array.from(name).length;
  if (length === 0) return { ok: false, message: "Name must not be empty." };
  if (length > SECRET_NAME_MAX_LENGTH) {
    return { ok: false, message: `Name must be at most ${SECRET_NAME_MAX_LENGTH} characters.` };
  }
  if (FORBIDDEN_CHARACTERS.test(name)) {
    return { ok: false, message: "Name must not contain control characters." };
  }
  if (LONE_SURROGATE.test(name)) {
    // Not text at all: databases would store a replacement character instead.
    return { ok: false, message: "Name must be valid Unicode text." };
  }
  return { ok: true, name };
}
