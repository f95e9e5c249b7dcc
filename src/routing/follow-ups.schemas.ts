import { z } from 'zod';

/** The console's `follow-up:claim` and `follow-up:call` events. */
export const followUpAction = z.object({ callSid: z.string().min(1).max(64) }).strict();

/** The console's `follow-up:close` event: what came of the callback, in a few words. */
export const followUpClose = followUpAction
  .extend({ outcome: z.string().trim().min(1, 'say what came of it').max(100) })
  .strict();

/**
 * The status callback of a callback leg Leadline placed (statusCallbackEvent initiated, ringing,
 * answered, completed; a final CallStatus is completed, busy, no-answer, failed or canceled).
 */
export const callbackStatusParams = z
  .object({ CallSid: z.string().min(1).max(64), CallStatus: z.string().min(1).max(32) })
  .passthrough();
