export * from './auth';
export * from './sites';
export * from './numbers';
export * from './calls';
export * from './agents';
export * from './routing';
export * from './scoring';
export * from './salesforce';
