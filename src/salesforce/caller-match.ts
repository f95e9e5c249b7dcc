import type { SalesforceApi, SfRecord } from './salesforce.client';
import { normalizePhone, type Phone } from './mapping';

/** How a caller was found in Salesforce; stored with the sync state. */
export type MatchRule = 'contact' | 'lead' | 'lead-created';
export interface Match {
  whoId: string;
  rule: MatchRule;
}

/*
 * SOSL facts read in the SOQL and SOSL Reference ("SOSL Syntax"): `IN PHONE FIELDS` limits the
 * search to phone fields; a SearchQuery over 4,000 characters loses its logical operators and
 * over 10,000 returns nothing; a search returns at most 2,000 rows. So numbers are OR-ed in
 * chunks under 4,000 characters. That a digits-only term finds a phone typed with punctuation
 * (`(415) 555-0123`) is what the issue states and what the stand-in does; it was not confirmed in
 * Salesforce's documentation here. Each returned phone is normalised again and compared as E.164,
 * since a search on digits can also hit longer numbers that contain them.
 */
const MAX_SEARCH_CHARS = 3_900;
const PHONE_FIELDS = ['Phone', 'MobilePhone'];

/** Chunks of OR-ed national numbers, each short enough for one SOSL FIND. */
export function searchTerms(phones: Phone[]): string[] {
  const out: string[] = [];
  let current: string[] = [];
  let length = 0;
  for (const digits of new Set(phones.map((p) => p.digits))) {
    const add = (current.length ? 4 : 0) + digits.length + 2;
    if (current.length && length + add > MAX_SEARCH_CHARS) {
      out.push(current.join(' OR '));
      current = [];
      length = 0;
    }
    current.push(`"${digits}"`);
    length += add;
  }
  if (current.length) out.push(current.join(' OR '));
  return out;
}

/**
 * Finds the people behind these phones with as few searches as possible: a Contact wins over a
 * Lead; among several, the most recently modified; converted Leads are never returned.
 */
export async function matchCallers(
  api: SalesforceApi,
  phones: Phone[],
): Promise<Map<string, Match>> {
  const found = new Map<string, Match & { modified: string }>();
  for (const terms of searchTerms(phones)) {
    const records = await api.search(
      `FIND {${terms}} IN PHONE FIELDS RETURNING ` +
        'Contact(Id, Phone, MobilePhone, LastModifiedDate ORDER BY LastModifiedDate DESC), ' +
        'Lead(Id, Phone, MobilePhone, LastModifiedDate WHERE IsConverted = false ' +
        'ORDER BY LastModifiedDate DESC)',
    );
    for (const r of records) consider(found, r);
  }
  return new Map([...found].map(([e164, m]) => [e164, { whoId: m.whoId, rule: m.rule }]));
}

function consider(found: Map<string, Match & { modified: string }>, r: SfRecord) {
  const rule: MatchRule = r.attributes?.type === 'Contact' ? 'contact' : 'lead';
  const modified = typeof r.LastModifiedDate === 'string' ? r.LastModifiedDate : '';
  for (const f of PHONE_FIELDS) {
    const phone = normalizePhone(r[f]);
    if (!phone) continue;
    const prev = found.get(phone.e164);
    const better =
      !prev ||
      (rule === 'contact' && prev.rule !== 'contact') ||
      (rule === prev.rule && modified > prev.modified);
    if (better) found.set(phone.e164, { whoId: r.Id, rule, modified });
  }
}

/** Leads created earlier with these exact phones (after a create whose outcome was unknown). */
export async function leadsByExactPhone(
  api: SalesforceApi,
  phones: Phone[],
): Promise<Map<string, Match>> {
  const out = new Map<string, Match>();
  if (phones.length === 0) return out;
  const list = [...new Set(phones.map((p) => p.display))].map(soqlString).join(', ');
  const rows = await api.query(
    `SELECT Id, Phone FROM Lead WHERE IsConverted = false AND Phone IN (${list}) ORDER BY CreatedDate`,
  );
  for (const r of rows) {
    const phone = normalizePhone(r.Phone);
    if (phone && !out.has(phone.e164)) out.set(phone.e164, { whoId: r.Id, rule: 'lead-created' });
  }
  return out;
}

/** A SOQL string literal. */
export const soqlString = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
