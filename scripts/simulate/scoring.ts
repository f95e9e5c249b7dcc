// Judging a run: each call's attribution against the visitor who placed it, the verdict, a table.

export type Verdict = 'tied' | 'ambiguous' | 'expired' | 'unattributed' | 'wrong' | 'lost';

/** Judges Leadline's attribution of a call against the visitor who really placed it. */
export function judgeAttribution(
  placedBy: { visitorId: string; sessionId: string },
  call: { attribution?: string; visitorId?: string | null; sessionId?: string | null } | null,
): Verdict {
  if (!call) return 'lost';
  const same =
    (call.visitorId ?? null) === placedBy.visitorId ||
    (call.sessionId ?? null) === placedBy.sessionId;
  switch (call.attribution) {
    case 'exact':
      return same ? 'tied' : 'wrong';
    case 'expired':
      return same ? 'tied' : 'expired';
    case 'ambiguous':
      return 'ambiguous';
    default:
      return 'unattributed';
  }
}

/** The one-line verdict and the exit code: 1 when any call was silently wrong or lost. */
export function summarize(verdicts: Verdict[]): { line: string; exitCode: number } {
  const n = (v: Verdict) => verdicts.filter((x) => x === v).length;
  const total = verdicts.length;
  const pct = total ? ((100 * n('tied')) / total).toFixed(1) : '100.0';
  const extras = (
    [
      ['expired', 'expired (flagged)'],
      ['unattributed', 'unattributed'],
      ['lost', 'lost (no call record)'],
    ] as const
  )
    .filter(([v]) => n(v) > 0)
    .map(([v, label]) => `, ${n(v)} ${label}`)
    .join('');
  const line =
    `attribution: ${n('tied')}/${total} calls tied to the visitor who placed them (${pct}%), ` +
    `${n('ambiguous')} ambiguous (flagged), ${n('wrong')} wrong${extras}`;
  return { line, exitCode: n('wrong') > 0 || n('lost') > 0 ? 1 : 0 };
}

/** Fixed-width columns, for a terminal. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
