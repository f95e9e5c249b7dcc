import { isDeepStrictEqual } from 'node:util';
import { callFieldNames, apiRecord, metadataComponents, RECORD_TYPE } from './metadata';
import type { MetadataComponent, MetadataRecord } from './metadata';
import type { SalesforceApi } from './salesforce.client';

export interface DeployReport {
  created: string[];
  updated: string[];
  found: string[];
  /** Fields or the record type that describe did not show after the deploy (should be empty). */
  missing: string[];
}

/** The Metadata API's CRUD calls take at most 10 components each. */
const PER_CALL = 10;

/**
 * Deploys the Call Activity metadata with upsertMetadata, sending only what is missing or differs
 * from what readMetadata returns (so a second run changes nothing), then checks with describe
 * that Task has every field and the record type.
 */
export async function deployMetadata(api: SalesforceApi): Promise<DeployReport> {
  const report: DeployReport = { created: [], updated: [], found: [], missing: [] };
  const byType = new Map<MetadataComponent['type'], MetadataComponent[]>();
  for (const c of metadataComponents()) byType.set(c.type, [...(byType.get(c.type) ?? []), c]);

  for (const [type, components] of byType) {
    for (let k = 0; k < components.length; k += PER_CALL) {
      const chunk = components.slice(k, k + PER_CALL);
      const existing = await api.metadataRead(
        type,
        chunk.map((c) => c.apiName),
      );
      const byName = new Map(existing.map((r) => [String(r.fullName), r]));
      const changed = chunk.filter((c) => {
        const current = byName.get(c.apiName);
        const same = current !== undefined && contains(current, apiRecord(c));
        if (same) report.found.push(c.apiName);
        return !same;
      });
      if (changed.length === 0) continue;
      const results = await api.metadataUpsert(type, changed.map(apiRecord));
      for (const r of results) {
        if (!r.success) {
          const errors = Array.isArray(r.errors) ? r.errors : r.errors ? [r.errors] : [];
          throw new Error(`${r.fullName}: ${errors.map((e) => e.message).join('; ') || 'failed'}`);
        }
        (String(r.created) === 'true' ? report.created : report.updated).push(r.fullName);
      }
    }
  }

  const task = await api.describe('Task');
  const fields = new Set(task.fields.map((f) => f.name));
  for (const name of callFieldNames) if (!fields.has(name)) report.missing.push(`Task.${name}`);
  if (!task.recordTypeInfos.some((rt) => rt.developerName === RECORD_TYPE.fullName)) {
    report.missing.push(`Task.${RECORD_TYPE.fullName}`);
  }
  return report;
}

/**
 * Whether what Salesforce holds already says everything we would send. readMetadata answers
 * with strings for every scalar (SOAP) and may add defaults, so values compare as strings and
 * extra properties on Salesforce's side are ignored.
 */
function contains(actual: unknown, wanted: unknown): boolean {
  if (Array.isArray(wanted)) {
    const list = Array.isArray(actual) ? actual : actual === undefined ? [] : [actual];
    return list.length === wanted.length && wanted.every((w, k) => contains(list[k], w));
  }
  if (wanted !== null && typeof wanted === 'object') {
    if (actual === null || typeof actual !== 'object') return false;
    const a = actual as MetadataRecord;
    return Object.entries(wanted).every(([key, w]) => contains(a[key], w));
  }
  return isDeepStrictEqual(String(actual), String(wanted));
}
