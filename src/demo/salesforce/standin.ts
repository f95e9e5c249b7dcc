import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import express, { type Request, type Response } from 'express';
import type { Server } from 'node:http';
import { handleMetadataSoap, type MetadataStore } from './metadata-soap';
import { parseSoql, parseSosl, type SoqlQuery } from './query';

/*
 * Demo and tests only (the product never imports src/demo): the tests run the real jsforce against
 * it, and `npm run simulate -- --salesforce` points an in-process Leadline at it.
 * Salesforce as jsforce 3.10.16 talks to it, on 127.0.0.1: REST under /services/data/vXX.X
 * (sobjects, composite sObject collections, query, search, describe), the Metadata SOAP endpoint
 * /services/Soap/m/XX.X and the OAuth token endpoint. Only deployed fields exist: a record with
 * any other field is refused with INVALID_FIELD, so a typo in the mapping fails a test.
 * Error shapes follow the REST API: `[{message, errorCode, fields}]` for a request, and
 * `{id, success, errors:[{statusCode, message, fields}]}` per record in a collection.
 */

export type SfRow = Record<string, unknown> & { Id: string };
export type Failure =
  | { kind: 'expire-session' }
  | { kind: 'limit' }
  | { kind: 'unavailable' }
  | { kind: 'timeout-after-write' };
type RecordRule = (type: string, record: Record<string, unknown>) => string | null;

const STANDARD_FIELDS: Record<string, string[]> = {
  Task: [
    'Id',
    'Subject',
    'WhoId',
    'WhatId',
    'Status',
    'Priority',
    'ActivityDate',
    'TaskSubtype',
    'CallType',
    'CallDurationInSeconds',
    'CallObject',
    'CallDisposition',
    'RecordTypeId',
    'OwnerId',
    'Description',
    'CreatedDate',
    'LastModifiedDate',
  ],
  Lead: [
    'Id',
    'FirstName',
    'LastName',
    'Company',
    'LeadSource',
    'Phone',
    'MobilePhone',
    'City',
    'State',
    'PostalCode',
    'IsConverted',
    'ConvertedOpportunityId',
    'ConvertedContactId',
    'CreatedDate',
    'LastModifiedDate',
  ],
  Contact: [
    'Id',
    'FirstName',
    'LastName',
    'Phone',
    'MobilePhone',
    'CreatedDate',
    'LastModifiedDate',
  ],
  CampaignMember: ['Id', 'CampaignId', 'LeadId', 'ContactId', 'Status', 'CreatedDate'],
  RecordType: ['Id', 'SobjectType', 'DeveloperName', 'Name', 'IsActive'],
  Opportunity: ['Id', 'Name', 'StageName', 'IsWon', 'IsClosed', 'Amount', 'CloseDate'],
  OpportunityContactRole: ['Id', 'OpportunityId', 'ContactId', 'Role', 'IsPrimary'],
};
const PREFIX: Record<string, string> = {
  Task: '00T',
  Lead: '00Q',
  Contact: '003',
  CampaignMember: '00v',
  RecordType: '012',
  Opportunity: '006',
  OpportunityContactRole: '00K',
};
const REQUIRED: Record<string, string[]> = { Lead: ['LastName', 'Company'], Task: [] };

export interface SalesforceStandin {
  url: string;
  /** Variables that point Leadline at this stand-in with an access token. */
  env: Record<string, string>;
  /** Variables for the refresh-token flow instead. */
  refreshEnv: Record<string, string>;
  records: Map<string, SfRow[]>;
  metadata: MetadataStore;
  /** Every request received: method and path (without the version prefix), e.g. `POST /composite/sobjects`. */
  requests: string[];
  /** The text of every SOQL query (`GET /query?q=`) and SOSL search received, in order. */
  queries: string[];
  refreshes: number;
  /** Each composite collection request: method, sObject type and how many records. */
  collections: { method: string; type: string; count: number }[];
  /** Failures applied to the next matching requests, in order. */
  failNext(failure: Failure, match?: RegExp): void;
  /** A rule that refuses some records (a validation rule): returns an error message or null. */
  addValidationRule(type: string, rule: RecordRule, code?: string): void;
  insert(type: string, fields: Record<string, unknown>): SfRow;
  all(type: string): SfRow[];
  close(): Promise<void>;
}

export async function startSalesforceStandin(version = '60.0'): Promise<SalesforceStandin> {
  const records = new Map<string, SfRow[]>();
  const metadata: MetadataStore = new Map();
  const requests: string[] = [];
  const queries: string[] = [];
  const failures: { failure: Failure; match?: RegExp }[] = [];
  const rules: { type: string; rule: RecordRule; code: string }[] = [];
  const validTokens = new Set(['initial-token']);
  let seq = 0;
  let tokenSeq = 0;
  let clock = Date.parse('2026-01-01T00:00:00Z');
  const nowIso = () => new Date((clock += 1000)).toISOString().replace('Z', '+0000');

  const app = express();
  app.use(express.urlencoded({ extended: false }));
  app.use(express.json({ limit: '10mb' }));
  app.use(express.text({ type: 'text/xml', limit: '10mb' }));
  const base = `/services/data/v${version}`;

  const stand: Omit<SalesforceStandin, 'url' | 'env' | 'refreshEnv' | 'close'> = {
    records,
    metadata,
    requests,
    queries,
    refreshes: 0,
    collections: [],
    failNext: (failure, match) => void failures.push({ failure, match }),
    addValidationRule: (type, rule, code = 'FIELD_CUSTOM_VALIDATION_EXCEPTION') =>
      void rules.push({ type, rule, code }),
    insert,
    all: (type) => records.get(type) ?? [],
  };

  function fieldsOf(type: string): string[] {
    const standard = STANDARD_FIELDS[type] ?? [];
    if (type !== 'Task') return standard;
    const custom = [...metadata.values()]
      .filter((m) => m.type === 'CustomField' && m.fullName.startsWith('Activity.'))
      .map((m) => m.fullName.slice('Activity.'.length));
    return [...standard, ...custom];
  }

  function insert(type: string, fields: Record<string, unknown>): SfRow {
    const id = `${PREFIX[type] ?? '001'}${String(++seq).padStart(12, '0')}AAA`;
    const now = nowIso();
    const row: SfRow = {
      ...(type === 'Lead' ? { IsConverted: false } : {}),
      ...fields,
      Id: id,
      CreatedDate: now,
      LastModifiedDate: now,
    };
    records.set(type, [...(records.get(type) ?? []), row]);
    return row;
  }

  function check(type: string, rec: Record<string, unknown>, creating: boolean) {
    const known = new Set(fieldsOf(type).map((f) => f.toLowerCase()));
    if (!STANDARD_FIELDS[type]) {
      return {
        statusCode: 'INVALID_TYPE',
        message: `sObject type '${type}' is not supported.`,
        fields: [],
      };
    }
    for (const f of Object.keys(rec)) {
      if (f === 'attributes' || f === 'id' || f === 'Id') continue;
      if (!known.has(f.toLowerCase())) {
        return {
          statusCode: 'INVALID_FIELD',
          message: `No such column '${f}' on sobject of type ${type}`,
          fields: [f],
        };
      }
    }
    if (creating) {
      for (const f of REQUIRED[type] ?? []) {
        if (rec[f] === undefined || rec[f] === null || rec[f] === '') {
          return {
            statusCode: 'REQUIRED_FIELD_MISSING',
            message: `Required fields are missing: [${f}]`,
            fields: [f],
          };
        }
      }
    }
    if (type === 'CampaignMember' && creating) {
      const who = (rec.LeadId ?? rec.ContactId) as string;
      const dup = stand
        .all('CampaignMember')
        .some((m) => m.CampaignId === rec.CampaignId && (m.LeadId ?? m.ContactId) === who);
      if (dup) {
        return { statusCode: 'DUPLICATE_VALUE', message: 'Already a campaign member.', fields: [] };
      }
    }
    for (const r of rules) {
      const msg = r.type === type ? r.rule(type, rec) : null;
      if (msg) return { statusCode: r.code, message: msg, fields: [] };
    }
    return null;
  }

  const typeOf = (rec: Record<string, unknown> | undefined) =>
    (rec?.attributes as { type?: string } | undefined)?.type ?? '';
  const strip = (rec: Record<string, unknown>) => {
    const { attributes: _a, id: _i, Id: _I, ...rest } = rec;
    return rest;
  };

  // Every request: counted, then injected failures, then the session check.
  app.use((req, res, next) => {
    const path = req.path.startsWith(base) ? req.path.slice(base.length) : req.path;
    requests.push(`${req.method} ${path}`);
    if (typeof req.query.q === 'string') queries.push(req.query.q);
    if (req.path === '/services/oauth2/token') return next();
    const idx = failures.findIndex((f) => !f.match || f.match.test(`${req.method} ${path}`));
    const found = idx >= 0 ? failures.splice(idx, 1)[0] : undefined;
    const failure = found?.failure;
    if (failure?.kind === 'expire-session') validTokens.clear();
    if (failure?.kind === 'limit') {
      res
        .status(403)
        .json([{ message: 'TotalRequests Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' }]);
      return;
    }
    if (failure?.kind === 'unavailable') {
      res.status(503).json([{ message: 'Server unavailable', errorCode: 'SERVER_UNAVAILABLE' }]);
      return;
    }
    if (failure?.kind === 'timeout-after-write') {
      // The write happens; the answer never arrives (the socket is dropped later).
      res.locals.dropAnswer = true;
    }
    const soap = req.path.startsWith('/services/Soap/');
    const token = soap
      ? /<sessionId>([^<]*)<\/sessionId>/.exec(String(req.body))?.[1]
      : req.headers.authorization?.replace(/^Bearer /, '');
    if (!token || !validTokens.has(token)) {
      if (soap) {
        res
          .status(500)
          .type('text/xml')
          .send(
            '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><soapenv:Fault><faultcode>sf:INVALID_SESSION_ID</faultcode><faultstring>INVALID_SESSION_ID: Invalid Session ID found in SessionHeader</faultstring></soapenv:Fault></soapenv:Body></soapenv:Envelope>',
          );
      } else {
        res
          .status(401)
          .json([{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }]);
      }
      return;
    }
    next();
  });

  const answer = (res: Response, status: number, body: unknown) => {
    if (res.locals.dropAnswer) {
      setTimeout(() => res.socket?.destroy(), 3_000).unref();
      return;
    }
    res.status(status).json(body);
  };

  app.post('/services/oauth2/token', (req: Request, res: Response) => {
    const body = req.body as Record<string, string>;
    if (body.grant_type !== 'refresh_token' || body.refresh_token !== 'test-refresh-token') {
      res
        .status(400)
        .json({ error: 'invalid_grant', error_description: 'expired access/refresh token' });
      return;
    }
    stand.refreshes++;
    const token = `token-${++tokenSeq}`;
    validTokens.add(token);
    res.json({
      access_token: token,
      instance_url: url,
      id: `${url}/id/00D000000000001AAA/005000000000001AAA`,
      token_type: 'Bearer',
      issued_at: String(Date.now()),
      signature: 'not-checked',
    });
  });

  app.post(`${base}/composite/sobjects`, (req, res) => {
    const { records: recs } = req.body as {
      allOrNone?: boolean;
      records: Record<string, unknown>[];
    };
    if (!Array.isArray(recs) || recs.length > 200) {
      res
        .status(400)
        .json([{ message: 'between 1 and 200 records', errorCode: 'INVALID_BATCH_SIZE' }]);
      return;
    }
    stand.collections.push({ method: 'POST', type: typeOf(recs[0]), count: recs.length });
    const results = recs.map((rec) => {
      const type = (rec.attributes as { type: string }).type;
      const err = check(type, strip(rec), true);
      if (err) return { id: null, success: false, errors: [err] };
      return { id: insert(type, strip(rec)).Id, success: true, errors: [] };
    });
    answer(res, 200, results);
  });

  app.patch(`${base}/composite/sobjects`, (req, res) => {
    const { records: recs } = req.body as { records: Record<string, unknown>[] };
    stand.collections.push({ method: 'PATCH', type: typeOf(recs[0]), count: recs.length });
    const results = recs.map((rec) => {
      const type = (rec.attributes as { type: string }).type;
      const id = (rec.id ?? rec.Id) as string;
      const row = stand.all(type).find((r) => r.Id === id);
      if (!row) {
        return {
          id,
          success: false,
          errors: [{ statusCode: 'ENTITY_IS_DELETED', message: 'not found', fields: [] }],
        };
      }
      const err = check(type, strip(rec), false);
      if (err) return { id, success: false, errors: [err] };
      Object.assign(row, strip(rec), { LastModifiedDate: nowIso() });
      return { id, success: true, errors: [] };
    });
    answer(res, 200, results);
  });

  app.get(`${base}/sobjects/:type/describe`, (req, res) => {
    const type = String(req.params.type);
    if (!STANDARD_FIELDS[type]) {
      res
        .status(404)
        .json([{ message: `sObject type '${type}' is not supported.`, errorCode: 'NOT_FOUND' }]);
      return;
    }
    const recordTypeInfos = [...metadata.values()]
      .filter((m) => m.type === 'RecordType' && m.fullName.startsWith(`${type}.`))
      .map((m) => ({
        name: String(m.record.label),
        developerName: m.fullName.slice(type.length + 1),
        recordTypeId: recordTypeIdOf(m.fullName),
        active: true,
      }));
    res.json({
      name: type,
      fields: fieldsOf(type).map((name) => ({ name, type: 'string' })),
      recordTypeInfos,
    });
  });

  function recordTypeIdOf(fullName: string): string {
    const [sobjectType, developerName] = fullName.split('.');
    const existing = stand
      .all('RecordType')
      .find((r) => r.SobjectType === sobjectType && r.DeveloperName === developerName);
    return (
      existing ?? insert('RecordType', { SobjectType: sobjectType, DeveloperName: developerName })
    ).Id;
  }

  app.get(`${base}/query`, (req, res) => {
    let q: SoqlQuery;
    try {
      q = parseSoql(String(req.query.q));
    } catch (err) {
      res.status(400).json([{ message: (err as Error).message, errorCode: 'MALFORMED_QUERY' }]);
      return;
    }
    if (q.from === 'RecordType') {
      for (const m of metadata.values()) if (m.type === 'RecordType') recordTypeIdOf(m.fullName);
    }
    const known = new Set(fieldsOf(q.from));
    // A parent's field (`Opportunity.StageName`) exists when the parent object has it.
    const exists = (f: string) => {
      const [parent, field] = f.split('.');
      return field
        ? known.has(`${parent}Id`) && fieldsOf(parent as string).includes(field)
        : known.has(f);
    };
    const bad = [...q.fields, ...q.where.map((w) => w.field)].find((f) => !exists(f));
    if (bad) {
      res
        .status(400)
        .json([
          { message: `No such column '${bad}' on entity '${q.from}'`, errorCode: 'INVALID_FIELD' },
        ]);
      return;
    }
    const rows = stand
      .all(q.from)
      .filter((r) => q.where.every((w) => w.values.some((v) => String(r[w.field]) === v)));
    res.json({
      totalSize: rows.length,
      done: true,
      records: rows.map((r) => {
        const out: Record<string, unknown> = {
          attributes: { type: q.from, url: `${base}/sobjects/${q.from}/${r.Id}` },
        };
        for (const f of q.fields) {
          const [parent, field] = f.split('.') as [string, string | undefined];
          if (!field) {
            out[f] = r[f] ?? null;
            continue;
          }
          // Parent fields come back nested under the relationship name, as Salesforce does.
          const related = stand.all(parent).find((p) => p.Id === r[`${parent}Id`]);
          const nested = (out[parent] ??= related
            ? { attributes: { type: parent } }
            : null) as Record<string, unknown> | null;
          if (nested && related) nested[field] = related[field] ?? null;
        }
        return out;
      }),
    });
  });

  app.get(`${base}/search`, (req, res) => {
    const s = parseSosl(String(req.query.q));
    const out: Record<string, unknown>[] = [];
    for (const ret of s.returning) {
      for (const r of stand.all(ret.type)) {
        // Salesforce matches phone fields whatever their punctuation.
        const phones = ['Phone', 'MobilePhone'].map((f) => String(r[f] ?? '').replace(/\D/g, ''));
        const hit = s.terms.some((t) => phones.some((p) => p !== '' && p.endsWith(t)));
        const passes = ret.where.every((w) => w.values.some((v) => String(r[w.field]) === v));
        if (hit && passes) {
          out.push({
            attributes: { type: ret.type, url: `${base}/sobjects/${ret.type}/${r.Id}` },
            ...Object.fromEntries(ret.fields.map((f) => [f, r[f] ?? null])),
          });
        }
      }
    }
    res.json({ searchRecords: out });
  });

  app.post(`/services/Soap/m/${version}`, async (req, res) => {
    const { status, xml } = await handleMetadataSoap(String(req.body), metadata);
    res.status(status).type('text/xml').send(xml);
  });

  const server: Server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    ...stand,
    get refreshes() {
      return stand.refreshes;
    },
    url,
    env: { SF_INSTANCE_URL: url, SF_ACCESS_TOKEN: 'initial-token', SF_API_VERSION: version },
    refreshEnv: {
      SF_LOGIN_URL: url,
      SF_CLIENT_ID: 'test-client',
      SF_CLIENT_SECRET: 'test-secret',
      SF_REFRESH_TOKEN: 'test-refresh-token',
      SF_API_VERSION: version,
    },
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
