import { z } from 'zod';

/** Longest note an agent may leave on a call. */
export const NOTE_MAX = 500;

/** `PUT /api/v1/calls/:sid/disposition` and the console's `disposition` event. */
export const dispositionInput = z
  .object({
    disposition: z.string().trim().min(1, 'must be one of the configured labels').max(100),
    note: z.string().trim().max(NOTE_MAX, `must be at most ${NOTE_MAX} characters`).nullish(),
  })
  .strict();
export type DispositionInput = z.infer<typeof dispositionInput>;

/** The console's `disposition` event: the call it is about, and the disposition. */
export const consoleDispositionInput = dispositionInput.extend({ callSid: z.string().min(1) });

/** A Twilio call sid as the calls API accepts it. */
export const callSidParam = z.string().regex(/^CA[0-9a-fA-F]{32}$/, 'must be CA and 32 hex digits');
