// Decides whether a request comes from a JSON client or a browser (SPEC §3). Every flow asks this
// one function, so errors and successes are shaped the same way everywhere.
//
// It runs on every request, so it is a single hand-written pass over the headers: no split(), no
// regular expressions, no per-entry strings, and linear in the header length whatever it contains.

/** How specifically an Accept entry names a media type: exact > `type/*` > `*∕*` > no match. */
const EXACT = 3;
const TYPE_WILDCARD = 2;
const ANY = 1;
const NONE = 0;

/** q values are kept as integer millionths so equal q's compare equal, whatever their spelling. */
const Q_ONE = 1_000_000;

/** True when the request is a JSON request per SPEC §3. Pass the raw header values (may be undefined or arrays' joined strings). */
export function isJsonRequest(contentType: string | undefined, accept: string | undefined): boolean {
  if (typeof contentType === 'string' && isJsonContentType(contentType)) return true;
  if (typeof accept !== 'string' || accept.length === 0) return false;

  // Best match so far for each of the two candidates: its specificity and q.
  let jsonSpec = NONE;
  let jsonQ = 0;
  let htmlSpec = NONE;
  let htmlQ = 0;

  const n = accept.length;
  let i = 0;
  while (i < n) {
    i = skipSpace(accept, i);
    // The media range runs to the first ';' or ','.
    const rangeStart = i;
    while (i < n) {
      const c = accept.charCodeAt(i);
      if (c === 0x3b || c === 0x2c) break;
      i++;
    }
    const rangeEnd = trimEnd(accept, rangeStart, i);

    // Parameters: only the first q counts. Anything else (media-type parameters, accept-extensions,
    // junk) is skipped, so `application/json; charset=utf-8` still names JSON.
    let q = Q_ONE;
    let sawQ = false;
    while (i < n && accept.charCodeAt(i) === 0x3b) {
      i = skipSpace(accept, i + 1);
      const nameStart = i;
      while (i < n) {
        const c = accept.charCodeAt(i);
        if (c === 0x3d || c === 0x3b || c === 0x2c) break;
        i++;
      }
      const nameEnd = trimEnd(accept, nameStart, i);
      if (i < n && accept.charCodeAt(i) === 0x3d) {
        i = skipSpace(accept, i + 1);
        const valueStart = i;
        if (i < n && accept.charCodeAt(i) === 0x22) {
          i = skipQuoted(accept, i);
        } else {
          while (i < n) {
            const c = accept.charCodeAt(i);
            if (c === 0x3b || c === 0x2c) break;
            i++;
          }
        }
        if (!sawQ && nameEnd - nameStart === 1 && (accept.charCodeAt(nameStart) | 0x20) === 0x71) {
          sawQ = true;
          q = parseQ(accept, valueStart, trimEnd(accept, valueStart, i));
        }
      }
    }
    // Junk after the parameters (say, text after a closing quote) belongs to no entry.
    while (i < n && accept.charCodeAt(i) !== 0x2c) i++;
    i++; // over the comma

    // Among equally specific matches the higher q wins, as the `negotiator` package does.
    const js = jsonSpecificity(accept, rangeStart, rangeEnd);
    if (js > jsonSpec || (js === jsonSpec && js !== NONE && q > jsonQ)) {
      jsonSpec = js;
      jsonQ = q;
    }
    const hs = htmlSpecificity(accept, rangeStart, rangeEnd);
    if (hs > htmlSpec || (hs === htmlSpec && hs !== NONE && q > htmlQ)) {
      htmlSpec = hs;
      htmlQ = q;
    }
  }

  // q=0 means "not acceptable", so it can never win on specificity alone.
  if (jsonQ === 0) return false;
  return jsonQ > htmlQ || (jsonQ === htmlQ && jsonSpec > htmlSpec);
}

/** `application/json`, any case, optionally followed by parameters. */
function isJsonContentType(s: string): boolean {
  const start = skipSpace(s, 0);
  const end = start + 16; // 'application/json'.length
  if (!equalsLower(s, start, Math.min(end, s.length), 'application/json')) return false;
  const next = skipSpace(s, end);
  return next >= s.length || s.charCodeAt(next) === 0x3b;
}

function jsonSpecificity(s: string, start: number, end: number): number {
  if (equalsLower(s, start, end, 'application/json')) return EXACT;
  if (equalsLower(s, start, end, 'application/*')) return TYPE_WILDCARD;
  if (equalsLower(s, start, end, '*/*')) return ANY;
  return NONE;
}

function htmlSpecificity(s: string, start: number, end: number): number {
  if (equalsLower(s, start, end, 'text/html')) return EXACT;
  if (equalsLower(s, start, end, 'text/*')) return TYPE_WILDCARD;
  if (equalsLower(s, start, end, '*/*')) return ANY;
  return NONE;
}

/**
 * A qvalue: digits with an optional fraction, within [0, 1]. Anything else (empty, `.5`, `1e0`,
 * `-1`, quoted, `2`) counts as 0, as SPEC §3 says invalid q is 0. Digits past the sixth decimal
 * are checked but ignored.
 */
function parseQ(s: string, start: number, end: number): number {
  let value = 0;
  let inFraction = false;
  let weight = Q_ONE / 10; // worth of the next fraction digit; 0 once past the sixth
  let digits = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x30 && c <= 0x39) {
      const d = c - 0x30;
      if (!inFraction) value = value * 10 + d * Q_ONE;
      else {
        value += d * weight;
        weight = Math.floor(weight / 10);
      }
      if (value > Q_ONE) return 0; // also keeps a long run of digits from growing without bound
      digits++;
    } else if (c === 0x2e && !inFraction && digits > 0) {
      inFraction = true;
    } else {
      return 0;
    }
  }
  return value; // no digits at all leaves it at 0
}

/** Case-insensitive comparison of s[start, end) with a lower-case ASCII literal. */
function equalsLower(s: string, start: number, end: number, lower: string): boolean {
  if (end - start !== lower.length) return false;
  for (let k = 0; k < lower.length; k++) {
    let c = s.charCodeAt(start + k);
    if (c >= 0x41 && c <= 0x5a) c += 0x20;
    if (c !== lower.charCodeAt(k)) return false;
  }
  return true;
}

/** Skips a quoted-string starting at the opening quote; returns the index after the closing one. */
function skipQuoted(s: string, i: number): number {
  for (i++; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x5c) i++; // quoted-pair
    else if (c === 0x22) return i + 1;
  }
  return s.length; // unterminated: the rest of the header is junk anyway
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

function skipSpace(s: string, i: number): number {
  while (i < s.length && isSpace(s.charCodeAt(i))) i++;
  return i;
}

function trimEnd(s: string, start: number, end: number): number {
  while (end > start && isSpace(s.charCodeAt(end - 1))) end--;
  return end;
}
