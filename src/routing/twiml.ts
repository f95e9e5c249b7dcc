/** Minimal TwiML writer: the few verbs Leadline answers with, XML-escaped. */

const escapeXml = (s: string) =>
  s.replace(
    /[<>&'"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] ?? c,
  );

const attrs = (a: Record<string, string | number | boolean | undefined>) =>
  Object.entries(a)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${escapeXml(String(v))}"`)
    .join('');

export const response = (...verbs: string[]) =>
  `<?xml version="1.0" encoding="UTF-8"?><Response>${verbs.join('')}</Response>`;

export const say = (text: string) => `<Say voice="Polly.Joanna">${escapeXml(text)}</Say>`;
export const hangup = () => '<Hangup/>';
export const reject = (reason: 'busy' | 'rejected' = 'busy') => `<Reject${attrs({ reason })}/>`;

export interface DialOptions {
  action?: string;
  timeout?: number;
  callerId?: string;
  record?: boolean;
  recordingStatusCallback?: string;
  /** statusCallback for the dialled leg (child leg events). */
  statusCallback?: string;
}

/** `<Dial>` one or more numbers; each `<Number>` reports its leg's progress to statusCallback. */
export function dial(numbers: string[], o: DialOptions): string {
  const dialAttrs = attrs({
    action: o.action,
    method: o.action ? 'POST' : undefined,
    timeout: o.timeout ?? 20,
    answerOnBridge: 'true',
    callerId: o.callerId,
    record: o.record ? 'record-from-answer-dual' : undefined,
    recordingStatusCallback: o.record ? o.recordingStatusCallback : undefined,
    recordingStatusCallbackMethod: o.record ? 'POST' : undefined,
  });
  const legAttrs = attrs({
    statusCallback: o.statusCallback,
    statusCallbackEvent: o.statusCallback ? 'initiated ringing answered completed' : undefined,
    statusCallbackMethod: o.statusCallback ? 'POST' : undefined,
  });
  return `<Dial${dialAttrs}>${numbers.map((n) => `<Number${legAttrs}>${escapeXml(n)}</Number>`).join('')}</Dial>`;
}

export function record(o: {
  action: string;
  recordingStatusCallback: string;
  maxLength?: number;
}): string {
  return `<Record${attrs({
    action: o.action,
    method: 'POST',
    maxLength: o.maxLength ?? 120,
    playBeep: 'true',
    recordingStatusCallback: o.recordingStatusCallback,
    recordingStatusCallbackMethod: 'POST',
  })}/>`;
}
