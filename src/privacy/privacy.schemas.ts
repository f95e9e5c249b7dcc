import { z } from 'zod';
import { e164 } from '../shared/validation';

/** The caller number in `DELETE /api/v1/privacy/callers/:e164` (URL-decoded by express). */
export const callerParam = e164;

export const erasureListQuery = z
  .object({ limit: z.coerce.number().int().min(1).max(500).default(100) })
  .strict();

/** Retention periods in days (from config). */
export interface RetentionPeriods {
  sessionDays: number;
  callerDays: number;
  recordingDays: number;
  transcriptDays: number;
}
export type Touched = Record<string, number>;
