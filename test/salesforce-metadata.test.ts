import { readFileSync } from 'node:fs';
import path from 'node:path';
import xml2js from 'xml2js';
import { deployMetadata } from '../src/salesforce/deploy';
import { apiRecord, metadataComponents, renderSource } from '../src/salesforce/metadata';
import { createSalesforceClient } from '../src/salesforce/salesforce.client';
import { startSalesforceStandin, type SalesforceStandin } from '../src/demo/salesforce/standin';
import { upsertsReceived } from '../src/demo/salesforce/metadata-soap';

const SOURCE = path.resolve(__dirname, '../salesforce/force-app/main/default');
let sf: SalesforceStandin;

beforeAll(async () => {
  sf = await startSalesforceStandin();
});
afterAll(() => sf.close());

const client = () =>
  createSalesforceClient({
    instanceUrl: sf.url,
    accessToken: 'initial-token',
    apiVersion: '60.0',
    timeoutMs: 5_000,
  });

/** XML text of a value tree the way xml2js (explicitArray: false) reads it: every scalar a string. */
const asParsed = (v: unknown): unknown =>
  Array.isArray(v)
    ? v.length === 1
      ? asParsed(v[0])
      : v.map(asParsed)
    : v !== null && typeof v === 'object'
      ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, asParsed(x)]))
      : String(v);

describe('Call Activity metadata', () => {
  it('keeps each SFDX source file identical to what the definitions render', () => {
    for (const c of metadataComponents()) {
      expect(readFileSync(path.join(SOURCE, c.sourcePath), 'utf8')).toBe(renderSource(c));
    }
  });

  it('has well-formed source files whose content is what the deploy sends', async () => {
    for (const c of metadataComponents()) {
      const doc = (await xml2js.parseStringPromise(
        readFileSync(path.join(SOURCE, c.sourcePath), 'utf8'),
        { explicitArray: false },
      )) as Record<string, Record<string, unknown>>;
      const { $: attrs, ...body } = doc[c.root] ?? {};
      expect(attrs).toEqual({ xmlns: 'http://soap.sforce.com/2006/04/metadata' });
      const { fullName: _f, ...sent } = apiRecord(c);
      const { fullName: _s, ...fromFile } = body;
      expect(fromFile).toEqual(asParsed(sent));
    }
  });

  it('deploys every field, the record type, layout and assignment, then changes nothing the second time', async () => {
    const first = await deployMetadata(client());
    expect(first.created).toHaveLength(metadataComponents().length);
    expect(first.missing).toEqual([]);
    // What reached the Metadata API is what the source files hold.
    for (const c of metadataComponents()) {
      const got = upsertsReceived.find((u) => u.record.fullName === c.apiName);
      expect(got?.type).toBe(c.type);
      expect(got?.record).toEqual(asParsed(apiRecord(c)));
    }

    const upserts = sf.requests.length;
    const second = await deployMetadata(client());
    expect(second.created).toEqual([]);
    expect(second.updated).toEqual([]);
    expect(second.found).toHaveLength(metadataComponents().length);
    const soapUpserts = upsertsReceived.length;
    expect(soapUpserts).toBe(metadataComponents().length);
    expect(sf.requests.length).toBeGreaterThan(upserts);
  });

  it('lets Task records use deployed fields and refuses a field that was never deployed', async () => {
    const api = client();
    const [ok, typo] = await api.createMany('Task', [
      { Subject: 'x', Leadline_Score__c: 80 },
      { Subject: 'x', Leadline_Scroe__c: 80 },
    ]);
    expect(ok?.success).toBe(true);
    expect(typo?.errors[0]?.statusCode).toBe('INVALID_FIELD');
  });
});
