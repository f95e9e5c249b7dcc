/** Webhook parameters that identify or locate the caller (Twilio's voice request parameters). */
export const CALLER_PARAMS: readonly string[] = [
  'From',
  'Caller',
  'CallerName',
  'CallerId',
  'ForwardedFrom',
  'FromCity',
  'FromState',
  'FromZip',
  'FromCountry',
  'CallerCity',
  'CallerState',
  'CallerZip',
  'CallerCountry',
];
