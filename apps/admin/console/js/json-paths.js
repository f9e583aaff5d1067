/*
 * Where a JSON path is in a JSON text: the server names an invalid rule by its path (`rules[1].stages[0].skills`,
 * or class-validator's `rules.1.name`); the editor shows the error at that line.
 */

/** `rules[1].stages[0]` or `rules.1.stages.0` → ['rules', '1', 'stages', '0'] */
export function pathSegments(path) {
  return path
    .replace(/\[(\d+)\]/g, '.$1')
    .split('.')
    .filter((segment) => segment.length > 0);
}

/** Every value's [start, end) offsets in `text`, keyed by its path's segments joined with '.' ('' for the root). */
export function valueOffsets(text) {
  const offsets = new Map();
  let i = 0;
  const space = () => {
    while (i < text.length && /\s/.test(text[i])) i++;
  };
  const string = () => {
    const start = i++;
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    i++;
    return JSON.parse(text.slice(start, i));
  };
  const value = (path) => {
    space();
    const start = i;
    if (text[i] === '{') {
      i++;
      space();
      while (text[i] !== '}' && i < text.length) {
        space();
        const key = string();
        space();
        i++; // :
        value([...path, key]);
        space();
        if (text[i] === ',') i++;
        space();
      }
      i++;
    } else if (text[i] === '[') {
      i++;
      space();
      let index = 0;
      while (text[i] !== ']' && i < text.length) {
        value([...path, String(index++)]);
        space();
        if (text[i] === ',') i++;
        space();
      }
      i++;
    } else if (text[i] === '"') string();
    else while (i < text.length && /[^\s,\]}]/.test(text[i])) i++;
    offsets.set(path.join('.'), { start, end: i });
  };
  value([]);
  return offsets;
}

/** The 1-based line of an offset. */
export function lineOf(text, offset) {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text[i] === '\n') line++;
  return line;
}

/**
 * Where `path` is in `text`: its own value, else (a key the text lacks, e.g. a required field) its nearest ancestor's.
 * `exact` says which.
 */
export function locate(text, path) {
  let offsets;
  try {
    offsets = valueOffsets(text);
  } catch {
    return undefined;
  }
  const segments = pathSegments(path);
  for (let length = segments.length; length >= 0; length--) {
    const found = offsets.get(segments.slice(0, length).join('.'));
    if (found) return { ...found, line: lineOf(text, found.start), exact: length === segments.length };
  }
  return undefined;
}

/**
 * The server's 400 as a list of `{ path, message }`: a domain error's `message` joins them with '; ' as
 * `path: text`; class-validator's (`fields`) says `path must ...` or `property path should not exist`.
 */
export function errorsOf(body) {
  const parts = Array.isArray(body?.fields)
    ? body.fields
    : String(body?.message ?? body ?? '')
        .split(/;\s+/)
        .filter(Boolean);
  return parts.map((part) => {
    const unknown = /^property (\S+) should not exist/.exec(part);
    if (unknown) return { path: unknown[1], message: part };
    const named =
      /^([A-Za-z_$][\w$-]*(?:\[\d+\]|\.[\w$-]+)*)(?::\s*|\s+(?=must|should|is|has|cannot|needs))(.*)$/.exec(
        part,
      );
    if (named) return { path: named[1], message: named[2] || part };
    return { path: '', message: part };
  });
}
