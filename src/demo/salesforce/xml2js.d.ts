// xml2js ships without types; it is installed with jsforce, which parses SOAP answers with it.
declare module 'xml2js' {
  const xml2js: {
    parseStringPromise(xml: string, options?: { explicitArray?: boolean }): Promise<unknown>;
  };
  export default xml2js;
}
