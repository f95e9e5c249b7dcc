import xml2js from 'xml2js';

/** Deployed metadata by `type:fullName`: what upsertMetadata stored. */
export type MetadataStore = Map<
  string,
  { type: string; fullName: string; record: Record<string, unknown> }
>;

const ENVELOPE_OPEN =
  '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns="http://soap.sforce.com/2006/04/metadata" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>';
const ENVELOPE_CLOSE = '</soapenv:Body></soapenv:Envelope>';

/** Every upsertMetadata call's records, as the stand-in parsed them (tests compare with the source). */
export const upsertsReceived: { type: string; record: Record<string, unknown> }[] = [];

const asList = <T>(v: T | T[] | undefined): T[] =>
  v === undefined ? [] : Array.isArray(v) ? v : [v];

function toXml(name: string, value: unknown): string {
  if (Array.isArray(value)) return value.map((v) => toXml(name, v)).join('');
  if (value !== null && typeof value === 'object') {
    const body = Object.entries(value)
      .filter(([k]) => k !== '$')
      .map(([k, v]) => toXml(k, v))
      .join('');
    return `<${name}>${body}</${name}>`;
  }
  const text = String(value).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return `<${name}>${text}</${name}>`;
}

/** The Metadata API's upsertMetadata and readMetadata (SOAP, as jsforce's soap.js sends them). */
export async function handleMetadataSoap(
  body: string,
  store: MetadataStore,
): Promise<{ status: number; xml: string }> {
  const doc = (await xml2js.parseStringPromise(body, { explicitArray: false })) as Record<
    string,
    Record<string, Record<string, Record<string, unknown>>>
  >;
  const envelope = doc['soapenv:Envelope'];
  const call = envelope?.['soapenv:Body'] ?? {};
  const upsert = call.upsertMetadata as { metadata: unknown } | undefined;
  if (upsert) {
    const results = asList(upsert.metadata as Record<string, unknown>[]).map((m) => {
      const { $: attrs, ...record } = m as { $?: Record<string, string> } & Record<string, unknown>;
      const type = attrs?.['xsi:type'] ?? 'Metadata';
      const fullName = String(record.fullName);
      const key = `${type}:${fullName}`;
      const created = !store.has(key);
      store.set(key, { type, fullName, record });
      upsertsReceived.push({ type, record });
      return { created, fullName, success: true };
    });
    return {
      status: 200,
      xml: `${ENVELOPE_OPEN}<upsertMetadataResponse>${toXml('result', results)}</upsertMetadataResponse>${ENVELOPE_CLOSE}`,
    };
  }
  const read = call.readMetadata as { type: string; fullNames: string | string[] } | undefined;
  if (read) {
    const records = asList(read.fullNames)
      .map((n) => store.get(`${read.type}:${n}`))
      .filter((m) => m !== undefined)
      .map((m) => `<records xsi:type="${m.type}">${toXml('x', m.record).slice(3, -4)}</records>`)
      .join('');
    return {
      status: 200,
      xml: `${ENVELOPE_OPEN}<readMetadataResponse><result>${records}</result></readMetadataResponse>${ENVELOPE_CLOSE}`,
    };
  }
  return {
    status: 500,
    xml: `${ENVELOPE_OPEN}<soapenv:Fault><faultcode>sf:UNKNOWN_EXCEPTION</faultcode><faultstring>unsupported call</faultstring></soapenv:Fault>${ENVELOPE_CLOSE}`,
  };
}
