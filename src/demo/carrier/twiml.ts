/**
 * Reads TwiML the way Twilio does for the verbs Leadline answers with. A small XML reader is
 * enough: TwiML is flat (Response → verbs → nouns), and a document Twilio could not parse must
 * fail here too rather than be guessed at.
 */

export interface TwimlNode {
  name: string;
  attrs: Record<string, string>;
  children: TwimlNode[];
  /** Text directly inside the element (entities decoded, trimmed), e.g. the number in <Dial>. */
  text: string;
}

/** Twilio's error 12100: the response is not a TwiML document. */
export class TwimlParseError extends Error {
  readonly code = 12100;
  constructor(message: string) {
    super(`TwiML document parse failure: ${message}`);
    this.name = 'TwimlParseError';
  }
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos);/gi, (whole, ref: string) => {
    if (ref.startsWith('#x') || ref.startsWith('#X'))
      return String.fromCodePoint(parseInt(ref.slice(2), 16));
    if (ref.startsWith('#')) return String.fromCodePoint(parseInt(ref.slice(1), 10));
    return ENTITIES[ref.toLowerCase()] ?? whole;
  });
}

function parseAttributes(source: string): Record<string, string> {
  const attrs: Record<string, string> = {};
  for (const m of source.matchAll(/([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) {
    const [, name, doubleQuoted, singleQuoted] = m;
    if (name !== undefined) attrs[name] = decodeEntities(doubleQuoted ?? singleQuoted ?? '');
  }
  return attrs;
}

const TOKEN =
  /<!--[\s\S]*?-->|<\?[\s\S]*?\?>|<(\/?)([A-Za-z][\w:.-]*)((?:\s+[\w:.-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>|([^<]+)|(<)/g;

/** Parses a TwiML document and returns its <Response> element. */
export function parseTwiml(xml: string): TwimlNode {
  const root: TwimlNode = { name: '#document', attrs: {}, children: [], text: '' };
  const stack: TwimlNode[] = [root];
  for (const m of xml.matchAll(TOKEN)) {
    const [, closing, name, attrSource, selfClosing, text, strayAngle] = m;
    const parent = stack[stack.length - 1] ?? root;
    if (strayAngle !== undefined) throw new TwimlParseError(`unexpected "<" at ${m.index}`);
    if (text !== undefined) {
      if (text.trim() === '') continue;
      if (parent === root) throw new TwimlParseError('text outside the root element');
      parent.text = `${parent.text} ${decodeEntities(text).trim()}`.trim();
      continue;
    }
    if (name === undefined) continue; // comment or processing instruction
    if (closing) {
      if (parent.name !== name) throw new TwimlParseError(`</${name}> closes <${parent.name}>`);
      stack.pop();
      continue;
    }
    const node: TwimlNode = {
      name,
      attrs: parseAttributes(attrSource ?? ''),
      children: [],
      text: '',
    };
    if (parent === root && root.children.length > 0) {
      throw new TwimlParseError(`second root element <${name}>`);
    }
    parent.children.push(node);
    if (!selfClosing) stack.push(node);
  }
  if (stack.length !== 1) {
    throw new TwimlParseError(`<${stack[stack.length - 1]?.name ?? '?'}> is never closed`);
  }
  const response = root.children[0];
  if (!response || response.name !== 'Response') {
    throw new TwimlParseError('the root element must be <Response>');
  }
  return response;
}

/**
 * Twilio's list attributes (statusCallbackEvent, recordingStatusCallbackEvent) are separated by
 * spaces; commas are accepted as well.
 */
export function listAttribute(value: string | undefined): string[] {
  return (value ?? '')
    .split(/[\s,]+/)
    .map((v) => v.trim())
    .filter(Boolean);
}
