/** Phone numbers are personal data: logs show only the country code and the last two digits. */
export function maskPhone(value: string): string {
  const digits = value.replace(/\D/g, '');
  if (digits.length < 7) return value;
  const plus = value.trim().startsWith('+');
  const head = plus ? `+${digits.slice(0, 1)}` : '';
  const hidden = digits.length - (plus ? 1 : 0) - 2;
  return `${head}${'•'.repeat(hidden)}${digits.slice(-2)}`;
}

/** Hides a secret except a short prefix, so two keys can still be told apart in a log. */
export function maskSecret(value: string): string {
  return value.length <= 8 ? '•••' : `${value.slice(0, 4)}•••`;
}

const PHONE_IN_TEXT = /\+?\d[\d\s().-]{7,}\d/g;
const SECRET_KEYS =
  /^(authorization|token|auth_?token|api_?key|key|password|secret|client_?secret|refresh_?token|access_?token|x-twilio-signature|cookie)$/i;
const PHONE_KEYS = /^(from|to|caller|phone|number|e164|called|forwardedfrom|fromnumber|tonumber)$/i;

const ISO_DATE = /^\d{4}-\d{2}-\d{2}/;

/** Masks phone numbers in free text (10+ digits with separators; dates excepted). */
export function maskPhonesInText(text: string): string {
  return text.replace(PHONE_IN_TEXT, (m) =>
    m.replace(/\D/g, '').length >= 10 && !ISO_DATE.test(m) ? maskPhone(m) : m,
  );
}

/** Deep copy of a log object with secrets hidden and phone numbers masked. */
export function maskForLog(value: unknown, key = '', depth = 0): unknown {
  if (depth > 6) return '[deep]';
  if (typeof value === 'string') {
    if (SECRET_KEYS.test(key)) return maskSecret(value);
    if (PHONE_KEYS.test(key)) return maskPhone(value);
    return maskPhonesInText(value);
  }
  if (Array.isArray(value)) return value.map((v) => maskForLog(v, key, depth + 1));
  if (value && typeof value === 'object' && !(value instanceof Error)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = maskForLog(v, k, depth + 1);
    return out;
  }
  return value;
}
