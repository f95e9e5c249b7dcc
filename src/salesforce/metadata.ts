/*
 * The Salesforce metadata Leadline needs, defined once. The SFDX source under salesforce/ is
 * rendered from these definitions (`npm run salesforce:deploy -- --write-source`), and the deploy
 * sends the same objects through the Metadata API, so the two cannot drift (a test compares them).
 *
 * Facts this relies on (Metadata API Developer Guide; jsforce 3.10.16 lib/api/metadata.js):
 * - Custom fields on Task and Event are defined on the Activity object: SFDX source
 *   objects/Activity/fields/<Name>.field-meta.xml, Metadata API fullName "Activity.<Name>"; they
 *   appear in `describe` of Task.
 * - A Task record type needs no business process (only Lead, Case, Opportunity and Solution do).
 * - The record type's page layout is assigned per profile (Profile.layoutAssignments with
 *   `layout` + `recordType`). SFDX has no stand-alone "layout assignment" file, so the assignment
 *   ships as a partial Admin profile; deploying a profile with only these elements changes only
 *   them. Other profiles can be assigned in Setup.
 * - jsforce's metadata.upsert(type, records) sends one SOAP upsertMetadata with each record
 *   tagged xsi:type=<type>; the API takes at most 10 records per call.
 */

export const METADATA_API_VERSION = '60.0';
export const METADATA_NAMESPACE = 'http://soap.sforce.com/2006/04/metadata';

/** A metadata value as both XML and the SOAP message express it. */
export type MetadataValue = string | number | boolean | MetadataRecord | MetadataValue[];
export interface MetadataRecord {
  [key: string]: MetadataValue;
}

export interface FieldDefinition extends MetadataRecord {
  fullName: string;
  label: string;
  type: 'Number' | 'Checkbox' | 'Text' | 'Url' | 'Phone';
  description: string;
}

const text = (fullName: string, label: string, length: number, description: string) =>
  ({ fullName, label, type: 'Text', length, description }) satisfies FieldDefinition;
const url = (fullName: string, label: string, description: string) =>
  ({ fullName, label, type: 'Url', description }) satisfies FieldDefinition;
const checkbox = (fullName: string, label: string, description: string) =>
  ({
    fullName,
    label,
    type: 'Checkbox',
    defaultValue: false,
    description,
  }) satisfies FieldDefinition;

/** Custom activity fields, keyed by what the sync writes into them. */
export const CALL_FIELDS = {
  score: {
    fullName: 'Leadline_Score__c',
    label: 'Call Score',
    type: 'Number',
    precision: 4,
    scale: 0,
    description: "Leadline's score of the call (0-100).",
  },
  qualified: checkbox(
    'Leadline_Qualified__c',
    'Qualified Call',
    'The score met the site threshold.',
  ),
  scoreLabel: text('Leadline_Score_Label__c', 'Score Label', 40, 'hot, warm, cold or spam.'),
  campaign: text('Leadline_Campaign__c', 'Leadline Campaign', 255, 'Campaign the call came from.'),
  source: text('Leadline_Source__c', 'Call Source', 255, 'utm_source or referrer of the visit.'),
  medium: text('Leadline_Medium__c', 'Call Medium', 255, 'utm_medium of the visit.'),
  keyword: text('Leadline_Keyword__c', 'Call Keyword', 255, 'Search keyword (utm_term).'),
  landingPage: url('Leadline_Landing_Page__c', 'Landing Page', 'Page the caller landed on.'),
  trackingNumber: {
    fullName: 'Leadline_Tracking_Number__c',
    label: 'Tracking Number',
    type: 'Phone',
    description: 'The tracking number that was dialled.',
  },
  firstTimeCaller: checkbox(
    'Leadline_First_Time_Caller__c',
    'First-time Caller',
    'No call from this number in the repeat-caller window.',
  ),
  attribution: text(
    'Leadline_Attribution__c',
    'Attribution Confidence',
    20,
    'exact, ambiguous, expired or none.',
  ),
  recordingUrl: url('Leadline_Recording_URL__c', 'Recording URL', 'Recording of the call.'),
  disposition: text('Leadline_Disposition__c', 'Call Outcome', 80, 'answered, voicemail, missed…'),
  callId: text('Leadline_Call_Id__c', 'Leadline Call Id', 64, 'Twilio CallSid of the call.'),
  callLink: url('Leadline_Call_Link__c', 'Open in Leadline', 'The call in Leadline.'),
} as const satisfies Record<string, FieldDefinition>;

export type CallFieldKey = keyof typeof CALL_FIELDS;
export const callFieldNames = Object.values(CALL_FIELDS).map((f) => f.fullName);

export const RECORD_TYPE = {
  fullName: 'Call_Activity',
  label: 'Call Activity',
  active: true,
  description: 'Inbound calls tracked and scored by Leadline.',
} satisfies MetadataRecord;

export const LAYOUT_NAME = 'Task-Call Activity Layout';

const item = (field: string, behavior: 'Edit' | 'Readonly' | 'Required' = 'Edit') => ({
  behavior,
  field,
});

export const LAYOUT = {
  fullName: LAYOUT_NAME,
  layoutSections: [
    {
      customLabel: false,
      detailHeading: false,
      editHeading: true,
      label: 'Task Information',
      layoutColumns: [
        { layoutItems: [item('Subject', 'Required'), item('WhoId'), item('Status', 'Required')] },
        { layoutItems: [item('OwnerId'), item('ActivityDate'), item('CallDisposition')] },
      ],
      style: 'TwoColumnsTopToBottom',
    },
    {
      customLabel: true,
      detailHeading: true,
      editHeading: true,
      label: 'Call Score',
      layoutColumns: [
        {
          layoutItems: [
            item(CALL_FIELDS.score.fullName, 'Readonly'),
            item(CALL_FIELDS.scoreLabel.fullName, 'Readonly'),
            item(CALL_FIELDS.qualified.fullName, 'Readonly'),
          ],
        },
        {
          layoutItems: [
            item('CallDurationInSeconds', 'Readonly'),
            item(CALL_FIELDS.disposition.fullName, 'Readonly'),
            item(CALL_FIELDS.firstTimeCaller.fullName, 'Readonly'),
          ],
        },
      ],
      style: 'TwoColumnsTopToBottom',
    },
    {
      customLabel: true,
      detailHeading: true,
      editHeading: true,
      label: 'Attribution',
      layoutColumns: [
        {
          layoutItems: [
            item(CALL_FIELDS.campaign.fullName, 'Readonly'),
            item(CALL_FIELDS.source.fullName, 'Readonly'),
            item(CALL_FIELDS.medium.fullName, 'Readonly'),
            item(CALL_FIELDS.keyword.fullName, 'Readonly'),
          ],
        },
        {
          layoutItems: [
            item(CALL_FIELDS.landingPage.fullName, 'Readonly'),
            item(CALL_FIELDS.trackingNumber.fullName, 'Readonly'),
            item(CALL_FIELDS.attribution.fullName, 'Readonly'),
          ],
        },
      ],
      style: 'TwoColumnsTopToBottom',
    },
    {
      customLabel: true,
      detailHeading: true,
      editHeading: true,
      label: 'Leadline',
      layoutColumns: [
        {
          layoutItems: [
            item(CALL_FIELDS.recordingUrl.fullName, 'Readonly'),
            item(CALL_FIELDS.callLink.fullName, 'Readonly'),
          ],
        },
        {
          layoutItems: [
            item(CALL_FIELDS.callId.fullName, 'Readonly'),
            item('CallObject', 'Readonly'),
          ],
        },
      ],
      style: 'TwoColumnsTopToBottom',
    },
  ],
} satisfies MetadataRecord;

/** The record type's layout assignment, as a partial profile (see the note at the top). */
export const PROFILE = {
  fullName: 'Admin',
  layoutAssignments: [{ layout: LAYOUT_NAME, recordType: `Task.${RECORD_TYPE.fullName}` }],
  recordTypeVisibilities: [
    { default: false, recordType: `Task.${RECORD_TYPE.fullName}`, visible: true },
  ],
} satisfies MetadataRecord;

/** One metadata component: its Metadata API type, API fullName, SFDX path and definition. */
export interface MetadataComponent {
  type: 'CustomField' | 'RecordType' | 'Layout' | 'Profile';
  /** The name the Metadata API knows it by (`Activity.Leadline_Score__c`). */
  apiName: string;
  /** Path under salesforce/force-app/main/default. */
  sourcePath: string;
  /** The XML root element of the source file. */
  root: string;
  /** The definition as the source file holds it (fullName relative to its object). */
  source: MetadataRecord;
}

/** Everything the deploy sends, in dependency order (fields and record type before layout). */
export function metadataComponents(): MetadataComponent[] {
  const fields = Object.values(CALL_FIELDS).map((f): MetadataComponent => ({
    type: 'CustomField',
    apiName: `Activity.${f.fullName}`,
    sourcePath: `objects/Activity/fields/${f.fullName}.field-meta.xml`,
    root: 'CustomField',
    source: f,
  }));
  return [
    ...fields,
    {
      type: 'RecordType',
      apiName: `Task.${RECORD_TYPE.fullName}`,
      sourcePath: `objects/Task/recordTypes/${RECORD_TYPE.fullName}.recordType-meta.xml`,
      root: 'RecordType',
      source: RECORD_TYPE,
    },
    {
      type: 'Layout',
      apiName: LAYOUT_NAME,
      sourcePath: `layouts/${LAYOUT_NAME}.layout-meta.xml`,
      root: 'Layout',
      source: LAYOUT,
    },
    {
      type: 'Profile',
      apiName: PROFILE.fullName,
      sourcePath: `profiles/${PROFILE.fullName}.profile-meta.xml`,
      root: 'Profile',
      source: PROFILE,
    },
  ];
}

/**
 * What the Metadata API receives for a component: the source definition with the API fullName.
 * SFDX source files omit fullName where the file name carries it (layouts, profiles).
 */
export function apiRecord(c: MetadataComponent): MetadataRecord {
  return { ...c.source, fullName: c.apiName };
}

/** The SFDX source file of a component, as the Salesforce CLI writes them. */
export function renderSource(c: MetadataComponent): string {
  const body = { ...c.source };
  if (c.type === 'Layout' || c.type === 'Profile') delete body.fullName;
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<${c.root} xmlns="${METADATA_NAMESPACE}">\n` +
    renderChildren(body, 1) +
    `</${c.root}>\n`
  );
}

function renderChildren(record: MetadataRecord, depth: number): string {
  const pad = '    '.repeat(depth);
  let out = '';
  for (const [key, value] of Object.entries(record)) {
    for (const v of Array.isArray(value) ? value : [value]) {
      if (typeof v === 'object' && !Array.isArray(v)) {
        out += `${pad}<${key}>\n${renderChildren(v, depth + 1)}${pad}</${key}>\n`;
      } else {
        out += `${pad}<${key}>${escapeXml(String(v))}</${key}>\n`;
      }
    }
  }
  return out;
}

function escapeXml(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

export const SFDX_PROJECT = {
  packageDirectories: [{ path: 'force-app', default: true }],
  name: 'leadline',
  namespace: '',
  sfdcLoginUrl: 'https://login.salesforce.com',
  sourceApiVersion: METADATA_API_VERSION,
};
