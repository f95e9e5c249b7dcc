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

/**
 * A phone-looking run in free text: it may not touch letters, digits, `_` or `-` on either side,
 * so the digit groups inside ids (a UUID's last group, a CallSid, a request id) are left alone.
 */
const PHONE_IN_TEXT = /(?<![\w+-])\+?\(?\d[\d\s().-]{7,}\d(?![\w-])/g;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}/;

/** Masks phone numbers in free text (10 to 15 digits with separators; dates excepted). */
export function maskPhonesInText(text: string): string {
  return text.replace(PHONE_IN_TEXT, (m) => {
    const digits = m.replace(/\D/g, '').length;
    return digits >= 10 && digits <= 15 && !ISO_DATE.test(m) ? maskPhone(m) : m;
  });
}
