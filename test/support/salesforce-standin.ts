// The Salesforce stand-in lives in src/demo/salesforce/ (npm run simulate -- --salesforce uses it too).
export * from '../../src/demo/salesforce/standin';
