// The strict return_to policy (SPEC §6): which redirect targets the logout flows may send a
// browser to. Pure functions, no I/O: the config loader checks entries with them at boot, the
// flows compile the policy once and resolve every request's return_to against it.
//
// Everything here errs on the side of "not allowed": an open redirect is a security bug, while a
// rejected exotic-but-harmless URL only costs the integrator a config change.

export const RETURN_TO_MAX_LENGTH = 2048;

/** One compiled allow-list entry. */
interface AllowedUrl {
  /** 'http:' or 'https:'. */
  protocol: string;
  /** Exact host (WHATWG-normalised), or for a wildcard entry the suffix with its leading dot ('.example.com'). */
  host: string;
  wildcard: boolean;
  /** URL.port: '' for the scheme's default port, so ':443' on https equals no port at all. */
  port: string;
  /** WHATWG-normalised entry path; '/' allows the whole origin. */
  path: string;
}

export interface ReturnToPolicy {
  readonly entries: readonly AllowedUrl[];
}

export type ReturnToResult = { ok: true; url: string | null } | { ok: false; reason: string };

// A label that cannot clash with a real host: it stands in for '*' while the entry is parsed, so the
// rest of the host goes through the same IDNA/IPv4 normalisation as the URLs it will be compared with.
const WILDCARD_PROBE = 'wildcard-probe-label';

/**
 * Config-time check of one allow-list entry (§6 rule 7). Returns null when fine, else a short
 * human message. Public-suffix wildcards such as `*.co.uk` are not caught: that needs a maintained
 * public-suffix list, and no such package is a dependency.
 */
export function checkAllowedReturnUrl(entry: string): string | null {
  if (typeof entry !== 'string' || entry.length === 0) return 'must be a non-empty absolute http(s) URL';
  if (entry.length > RETURN_TO_MAX_LENGTH) return `must be at most ${RETURN_TO_MAX_LENGTH} characters`;
  if (hasForbiddenCharacter(entry) || entry.trim() !== entry) {
    return 'must not contain control characters, backslashes or surrounding whitespace';
  }
  const authorityStart = httpAuthorityStart(entry);
  if (authorityStart < 0) return 'must be an absolute http:// or https:// URL';
  const authority = entry.slice(authorityStart, authorityEnd(entry, authorityStart));
  if (authority.length === 0) return 'must name a host';
  if (authority.includes('@')) return 'must not contain user info ("@")';
  if (entry.includes('?') || entry.includes('#')) return 'must not contain a query or fragment';

  const star = entry.indexOf('*');
  let wildcard = false;
  if (star >= 0) {
    // Only "*." as the very first thing in the host, and only once.
    if (star !== authorityStart || entry[star + 1] !== '.' || entry.indexOf('*', star + 1) >= 0) {
      return 'wildcards are only allowed as the whole leading label, as in https://*.example.com';
    }
    wildcard = true;
  }

  const url = parseEntry(entry, wildcard);
  // For a wildcard the usual cause is a numeric tail: WHATWG reads "x.1.2.3" as a broken IPv4 address.
  if (!url) return wildcard ? 'wildcards must sit above a domain name, not an IP address' : 'is not a valid URL';
  if (url.username !== '' || url.password !== '') return 'must not contain user info ("@")';
  const hostProblem = checkHostname(url.hostname);
  if (hostProblem) return hostProblem;
  if (hasEncodedDotOrSlash(url.pathname)) return 'must not contain encoded dots or slashes in its path';

  if (wildcard) {
    const suffix = url.hostname.slice(WILDCARD_PROBE.length + 1);
    // A wildcard over a whole top-level domain would hand out every site under it.
    if (!url.hostname.startsWith(WILDCARD_PROBE + '.') || !suffix.includes('.')) {
      return 'wildcards must sit above a registrable domain, as in https://*.example.com (not *.com)';
    }
  }
  return null;
}

/** Compiles the allow list (entries assumed already checked) plus the public base URL itself, which is always allowed. */
export function compileReturnToPolicy(allowedReturnUrls: string[], publicBaseUrl: string): ReturnToPolicy {
  const entries: AllowedUrl[] = [];
  for (const entry of [publicBaseUrl, ...allowedReturnUrls]) {
    // Checked again so a programming error fails at boot instead of silently widening the policy.
    const problem = checkAllowedReturnUrl(entry);
    if (problem) throw new TypeError(`return_to allow-list entry "${entry}": ${problem}`);
    const wildcard = entry.indexOf('*') >= 0;
    const url = parseEntry(entry, wildcard);
    if (!url) throw new TypeError(`return_to allow-list entry "${entry}" is not a valid URL`);
    entries.push({
      protocol: url.protocol,
      host: wildcard ? url.hostname.slice(WILDCARD_PROBE.length) : url.hostname,
      wildcard,
      port: url.port,
      path: url.pathname,
    });
  }
  return { entries };
}

/**
 * raw undefined/null/'' → { ok: true, url: null } (the caller uses its default). A relative '/x'
 * resolves against `relativeBase` (the flow's default return URL). On success `url` is the
 * re-serialised WHATWG href, never the raw input.
 */
export function resolveReturnTo(
  raw: string | null | undefined,
  policy: ReturnToPolicy,
  relativeBase: string,
): ReturnToResult {
  if (raw === undefined || raw === null || raw === '') return { ok: true, url: null };
  const url = parseCandidate(raw, relativeBase);
  if (url && isAllowed(url, policy)) return { ok: true, url: url.href };
  return { ok: false, reason: `Requested return_to URL "${escapeForMessage(raw)}" is not allowed.` };
}

/** Rules 1–4: everything that can be decided without the allow list. */
function parseCandidate(raw: string, relativeBase: string): URL | null {
  if (typeof raw !== 'string' || raw.length > RETURN_TO_MAX_LENGTH) return null;
  // Before parsing: the WHATWG parser silently strips TAB/CR/LF and turns '\' into '/', which is
  // exactly how "/\evil.com" and "https:\\evil.com" become other hosts.
  if (hasForbiddenCharacter(raw) || raw.trim() !== raw) return null;

  let url: URL | null;
  if (raw[0] === '/') {
    if (raw[1] === '/') return null; // protocol-relative
    url = tryParse(raw, relativeBase);
  } else {
    const authorityStart = httpAuthorityStart(raw);
    if (authorityStart < 0) return null; // other schemes, opaque URLs, "https:evil.com", "https:/x"
    const end = authorityEnd(raw, authorityStart);
    // Empty authority: the parser would skip extra slashes, so "https:///evil.com" means evil.com.
    if (end === authorityStart) return null;
    // Any '@' is userinfo, even an empty one ("https://@app.example.com") which the parser drops.
    if (raw.lastIndexOf('@', end - 1) >= authorityStart) return null;
    url = tryParse(raw);
  }

  if (!url) return null;
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return null;
  if (url.username !== '' || url.password !== '') return null;
  if (checkHostname(url.hostname)) return null;
  if (hasEncodedDotOrSlash(url.pathname)) return null;
  // A path starting with '//' is harmless in our absolute Location, but the target app might echo
  // its own path into a redirect, where it would become protocol-relative. Nothing legitimate needs it.
  if (url.pathname.startsWith('//')) return null;
  return url;
}

/** Rule 5: some entry matches scheme, host, port and path prefix at a segment boundary. */
function isAllowed(url: URL, policy: ReturnToPolicy): boolean {
  for (const e of policy.entries) {
    if (url.protocol !== e.protocol || url.port !== e.port) continue;
    if (e.wildcard) {
      // e.host is '.example.com': at least one whole label must precede it.
      if (url.hostname.length <= e.host.length || !url.hostname.endsWith(e.host)) continue;
    } else if (url.hostname !== e.host) {
      continue;
    }
    if (pathContinues(url.pathname, e.path)) return true;
  }
  return false;
}

/** '/app' allows '/app', '/app/', '/app/x' but never '/application'; '/app/' allows '/app/' and below. */
function pathContinues(path: string, prefix: string): boolean {
  if (!path.startsWith(prefix)) return false;
  return path.length === prefix.length || prefix.endsWith('/') || path[prefix.length] === '/';
}

/** Index just past "http://" or "https://" (any case), or -1. */
function httpAuthorityStart(s: string): number {
  const head = s.slice(0, 8).toLowerCase();
  if (head.startsWith('https://')) return 8;
  if (head.startsWith('http://')) return 7;
  return -1;
}

/** End of the raw authority: the next '/', '?' or '#' (backslashes were already refused). */
function authorityEnd(s: string, start: number): number {
  for (let i = start; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x2f || c === 0x3f || c === 0x23) return i;
  }
  return s.length;
}

/** C0, DEL, C1, U+2028/U+2029 and backslash. */
function hasForbiddenCharacter(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c === 0x2028 || c === 0x2029 || c === 0x5c) return true;
  }
  return false;
}

/**
 * The parser resolves "%2e%2e" segments but leaves "..%2f" and friends alone; a server behind the
 * target might decode them later and walk out of the allowed prefix. Refuse rather than be clever.
 */
function hasEncodedDotOrSlash(pathname: string): boolean {
  return /%(?:2e|2f|5c)/i.test(pathname);
}

/** Hosts the parser accepts but that must not be redirect targets. */
function checkHostname(hostname: string): string | null {
  if (hostname === '') return 'must name a host';
  // "example.com." is another origin for cookies and TLS, yet the same server.
  if (hostname.endsWith('.')) return 'must not end in a dot';
  if (hostname.startsWith('.') || hostname.includes('..')) return 'must not contain empty labels';
  return null;
}

function parseEntry(entry: string, wildcard: boolean): URL | null {
  return tryParse(wildcard ? entry.replace('*', WILDCARD_PROBE) : entry);
}

function tryParse(input: string, base?: string): URL | null {
  try {
    return new URL(input, base);
  } catch {
    return null;
  }
}

/**
 * The raw value for the error reason: JSON string escapes, plus \u escapes for the characters
 * JSON.stringify leaves alone (DEL, C1, U+2028/U+2029), so no line breaks reach logs or pages.
 */
function escapeForMessage(raw: string): string {
  return JSON.stringify(String(raw))
    .slice(1, -1)
    .replace(/[\u007f-\u009f\u2028\u2029]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}
