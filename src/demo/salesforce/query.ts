/** The SOQL and SOSL the stand-in understands: what Leadline sends, parsed strictly enough. */

export interface Condition {
  field: string;
  values: string[];
}
export interface SoqlQuery {
  fields: string[];
  from: string;
  where: Condition[];
}

const literal = (v: string) =>
  v
    .trim()
    .replace(/^'(.*)'$/s, '$1')
    .replace(/\\'/g, "'");

/** `field = 'x'`, `field = false`, `field IN ('a', 'b')`, joined by AND. */
export function parseWhere(text: string | undefined): Condition[] {
  if (!text) return [];
  return text.split(/\s+AND\s+/i).map((cond) => {
    const inMatch = /^(\w+)\s+IN\s*\((.*)\)$/is.exec(cond.trim());
    if (inMatch) {
      return {
        field: inMatch[1] as string,
        values: (inMatch[2] as string).split(/,(?=(?:[^']*'[^']*')*[^']*$)/).map(literal),
      };
    }
    const eq = /^(\w+)\s*=\s*(.+)$/s.exec(cond.trim());
    if (!eq) throw new Error(`unexpected condition: ${cond}`);
    return { field: eq[1] as string, values: [literal(eq[2] as string)] };
  });
}

export function parseSoql(q: string): SoqlQuery {
  const m =
    /^SELECT\s+(.+?)\s+FROM\s+(\w+)(?:\s+WHERE\s+(.+?))?(?:\s+ORDER BY\s+.+?)?(?:\s+LIMIT\s+\d+)?$/is.exec(
      q.trim(),
    );
  if (!m) throw new Error(`unexpected token in query: ${q.slice(0, 80)}`);
  return {
    fields: (m[1] as string).split(',').map((f) => f.trim()),
    from: m[2] as string,
    where: parseWhere(m[3]),
  };
}

export interface SoslSearch {
  terms: string[];
  returning: { type: string; fields: string[]; where: Condition[] }[];
}

/** `FIND {"a" OR "b"} IN PHONE FIELDS RETURNING Contact(f, … [WHERE …] [ORDER BY …]), …` */
export function parseSosl(q: string): SoslSearch {
  const m = /^FIND\s+\{(.*)\}\s+IN\s+PHONE\s+FIELDS\s+RETURNING\s+(.+)$/is.exec(q.trim());
  if (!m) throw new Error(`unexpected SOSL: ${q.slice(0, 80)}`);
  const terms = (m[1] as string)
    .split(/\s+OR\s+/i)
    .map((t) => t.replace(/"/g, '').replace(/\D/g, ''));
  const returning = [...(m[2] as string).matchAll(/(\w+)\(([^)]*)\)/g)].map((r) => {
    const spec = /^(.*?)(?:\s+WHERE\s+(.*?))?(?:\s+ORDER BY\s+.*)?$/is.exec(
      (r[2] as string).trim(),
    );
    return {
      type: r[1] as string,
      fields: (spec?.[1] ?? '').split(',').map((f) => f.trim()),
      where: parseWhere(spec?.[2]),
    };
  });
  return { terms, returning };
}
