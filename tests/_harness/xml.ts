/**
 * A strict reader of the XML the service units are written in (a launchd
 * property list, a Task Scheduler task), for the tests: well-formedness as
 * XML 1.0 says (one root, every tag closed in order, attributes quoted and
 * not repeated, only the five predefined entities and character
 * references, no `--` in a comment, no stray `<` or `&`), read into a tree.
 * It throws on the first fault, naming the offset. DTDs are not read: a
 * `<!DOCTYPE ...>` is checked for its shape only.
 *
 * @module
 */

/** An element: its name, attributes and children (elements and text). */
export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: (XmlElement | string)[];
}

/** A parsed document: the declaration's attributes, the doctype, the root. */
export interface XmlDocument {
  declaration: Record<string, string> | undefined;
  doctype: string | undefined;
  root: XmlElement;
}

const NAME = /^[A-Za-z_:][A-Za-z0-9_:.-]*/;

/** Parses `text` strictly; throws `Error("XML at N: why")` on a fault. */
export function parseXml(text: string): XmlDocument {
  let i = 0;
  const fail = (why: string): never => {
    throw new Error(
      `XML at ${i}: ${why} (${JSON.stringify(text.slice(i, i + 30))})`,
    );
  };
  const skipSpace = () => {
    while (i < text.length && /[ \t\r\n]/.test(text[i])) i++;
  };
  const decode = (raw: string): string => {
    if (/<|&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/.test(raw)) {
      fail(`a stray < or & in ${JSON.stringify(raw.slice(0, 40))}`);
    }
    return raw.replace(
      /&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/g,
      (_, e) => {
        const named: Record<string, string> = {
          amp: "&",
          lt: "<",
          gt: ">",
          quot: '"',
          apos: "'",
        };
        if (e in named) return named[e];
        const code = e[1] === "x"
          ? parseInt(e.slice(2), 16)
          : parseInt(e.slice(1));
        return String.fromCodePoint(code);
      },
    );
  };
  const attributes = (): Record<string, string> => {
    const attrs: Record<string, string> = {};
    while (true) {
      const before = i;
      skipSpace();
      const m = NAME.exec(text.slice(i));
      if (m === null) return attrs;
      if (before === i) fail("no space before an attribute");
      i += m[0].length;
      skipSpace();
      if (text[i] !== "=") fail(`attribute ${m[0]} without =`);
      i++;
      skipSpace();
      const quote = text[i];
      if (quote !== '"' && quote !== "'") fail(`attribute ${m[0]} not quoted`);
      const end = text.indexOf(quote, i + 1);
      if (end < 0) fail("an unterminated attribute");
      if (m[0] in attrs) fail(`attribute ${m[0]} twice`);
      attrs[m[0]] = decode(text.slice(i + 1, end));
      i = end + 1;
    }
  };
  const comment = () => {
    const end = text.indexOf("-->", i + 4);
    if (end < 0) fail("an unterminated comment");
    const body = text.slice(i + 4, end);
    if (body.includes("--") || body.endsWith("-")) fail("-- inside a comment");
    i = end + 3;
  };
  const misc = () => {
    while (true) {
      skipSpace();
      if (text.startsWith("<!--", i)) comment();
      else return;
    }
  };

  let declaration: Record<string, string> | undefined;
  if (text.startsWith("<?xml", 0)) {
    i = 5;
    declaration = attributes();
    skipSpace();
    if (!text.startsWith("?>", i)) fail("an unterminated XML declaration");
    i += 2;
    if (declaration.version !== "1.0") fail("XML version is not 1.0");
  } else if (/^\s/.test(text)) fail("whitespace before the XML declaration");
  misc();
  let doctype: string | undefined;
  if (text.startsWith("<!DOCTYPE", i)) {
    const m =
      /^<!DOCTYPE\s+([A-Za-z_:][\w:.-]*)(?:\s+PUBLIC\s+"[^"]*"\s+"[^"]*"|\s+SYSTEM\s+"[^"]*")?\s*>/
        .exec(text.slice(i));
    if (m === null) fail("a malformed DOCTYPE");
    doctype = m![1];
    i += m![0].length;
    misc();
  }

  const element = (): XmlElement => {
    if (text[i] !== "<") fail("expected an element");
    i++;
    const m = NAME.exec(text.slice(i));
    if (m === null) return fail("a bad element name");
    const name = m[0];
    i += name.length;
    const el: XmlElement = { name, attributes: attributes(), children: [] };
    skipSpace();
    if (text.startsWith("/>", i)) {
      i += 2;
      return el;
    }
    if (text[i] !== ">") fail(`a malformed start tag <${name}`);
    i++;
    while (true) {
      const lt = text.indexOf("<", i);
      if (lt < 0) fail(`<${name}> is never closed`);
      if (lt > i) el.children.push(decode(text.slice(i, lt)));
      i = lt;
      if (text.startsWith("</", i)) {
        const close = /^<\/([A-Za-z_:][\w:.-]*)\s*>/.exec(text.slice(i));
        if (close === null) fail("a malformed end tag");
        if (close![1] !== name) fail(`</${close![1]}> closes <${name}>`);
        i += close![0].length;
        return el;
      }
      if (text.startsWith("<!--", i)) comment();
      else if (text.startsWith("<![CDATA[", i) || text.startsWith("<?", i)) {
        fail("CDATA and processing instructions are not expected here");
      } else el.children.push(element());
    }
  };
  const root = element();
  misc();
  if (i !== text.length) fail("content after the root element");
  if (doctype !== undefined && doctype !== root.name) {
    fail(`DOCTYPE ${doctype} does not name the root ${root.name}`);
  }
  return { declaration, doctype, root };
}

/** The element children of `el` (text between them must be whitespace). */
export function elementsOf(el: XmlElement): XmlElement[] {
  for (const child of el.children) {
    if (typeof child === "string" && child.trim() !== "") {
      throw new Error(`text ${JSON.stringify(child)} inside <${el.name}>`);
    }
  }
  return el.children.filter((c): c is XmlElement => typeof c !== "string");
}

/** The text of an element that holds text only. */
export function textOf(el: XmlElement): string {
  if (el.children.some((c) => typeof c !== "string")) {
    throw new Error(`<${el.name}> holds elements, not text`);
  }
  return el.children.join("");
}

/** A property-list value (launchd.plist(5), Apple's PropertyList-1.0 DTD). */
export type PlistValue =
  | string
  | number
  | boolean
  | PlistValue[]
  | { [key: string]: PlistValue };

/**
 * Reads an XML property list by Apple's DTD: root `<plist version="1.0">`
 * with one value; a `<dict>` alternates `<key>` and a value, keys unique;
 * values are `string`, `integer`, `real`, `true`, `false`, `array`, `dict`.
 */
export function parsePlist(text: string): PlistValue {
  const doc = parseXml(text);
  if (doc.doctype !== "plist") throw new Error("no plist DOCTYPE");
  if (doc.root.name !== "plist" || doc.root.attributes.version !== "1.0") {
    throw new Error('the root is not <plist version="1.0">');
  }
  const values = elementsOf(doc.root);
  if (values.length !== 1) throw new Error("a plist holds one value");
  const value = (el: XmlElement): PlistValue => {
    switch (el.name) {
      case "string":
        return textOf(el);
      case "integer": {
        const t = textOf(el);
        if (!/^[+-]?\d+$/.test(t)) throw new Error(`bad integer ${t}`);
        return Number(t);
      }
      case "real":
        return Number(textOf(el));
      case "true":
      case "false":
        if (el.children.length > 0) {
          throw new Error(`<${el.name}/> with content`);
        }
        return el.name === "true";
      case "array":
        return elementsOf(el).map(value);
      case "dict": {
        const out: Record<string, PlistValue> = {};
        const items = elementsOf(el);
        if (items.length % 2 !== 0) {
          throw new Error("a dict with a key and no value");
        }
        for (let k = 0; k < items.length; k += 2) {
          if (items[k].name !== "key") {
            throw new Error(`<${items[k].name}> where a key goes`);
          }
          const key = textOf(items[k]);
          if (key in out) throw new Error(`key ${key} twice`);
          out[key] = value(items[k + 1]);
        }
        return out;
      }
      default:
        throw new Error(`<${el.name}> is not a plist value`);
    }
  };
  return value(values[0]);
}
