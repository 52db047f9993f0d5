// Table tests for the strict return_to policy (SPEC §6): every known open-redirect trick must be
// refused, and every accepted value must come back re-serialised by the WHATWG parser.

import t from 'tap';
import {
  RETURN_TO_MAX_LENGTH,
  checkAllowedReturnUrl,
  compileReturnToPolicy,
  resolveReturnTo,
} from '../../src/flows/return-to.js';

const PUBLIC_BASE = 'https://auth.example.com/';
const APP_BASE = 'https://app.example.com/app/signed-out';

const policy = compileReturnToPolicy(
  [
    'https://app.example.com/app', // path without trailing slash: /app, /app/…
    'https://*.example.org/dash', // leading-label wildcard
    'https://docs.example.net/app/', // path with trailing slash: /app/ and below only
    'http://localhost:3000', // plain http, explicit port, whole origin
    'https://shop.example.com:8443/', // non-default port
    'https://bücher.example/', // IDNA entry, compared in its punycode form
  ],
  PUBLIC_BASE,
);

interface Case {
  name: string;
  raw: string | null | undefined;
  /** The expected re-serialised href; null for "use the default"; false for "rejected". */
  want: string | null | false;
  /** Relative base; APP_BASE unless given. */
  base?: string;
}

const long = (length: number): string => {
  const head = 'https://app.example.com/app/';
  return head + 'a'.repeat(length - head.length);
};

const cases: Case[] = [
  // Empty means "use the default".
  { name: 'undefined', raw: undefined, want: null },
  { name: 'null', raw: null, want: null },
  { name: 'empty string', raw: '', want: null },

  // Allowed, and re-serialised.
  { name: 'exact entry', raw: 'https://app.example.com/app', want: 'https://app.example.com/app' },
  { name: 'entry path with slash', raw: 'https://app.example.com/app/', want: 'https://app.example.com/app/' },
  { name: 'query and fragment kept', raw: 'https://app.example.com/app/x?y=1&z=%20#frag', want: 'https://app.example.com/app/x?y=1&z=%20#frag' },
  { name: 'host and scheme case-normalised', raw: 'HTTPS://APP.Example.COM/app/x', want: 'https://app.example.com/app/x' },
  { name: 'dot segments resolved inside prefix', raw: 'https://app.example.com/app/./x/../y', want: 'https://app.example.com/app/y' },
  { name: 'default port dropped', raw: 'https://app.example.com:443/app', want: 'https://app.example.com/app' },
  { name: 'space in path percent-encoded', raw: 'https://app.example.com/app/a b', want: 'https://app.example.com/app/a%20b' },
  { name: '@ in fragment is not userinfo', raw: 'https://app.example.com/app#@evil.com', want: 'https://app.example.com/app#@evil.com' },
  { name: '@ in query is not userinfo', raw: 'https://app.example.com/app?u=a@evil.com', want: 'https://app.example.com/app?u=a@evil.com' },
  { name: 'dots in query untouched', raw: 'https://app.example.com/app?next=/../..', want: 'https://app.example.com/app?next=/../..' },
  { name: 'wildcard one label', raw: 'https://a.example.org/dash', want: 'https://a.example.org/dash' },
  { name: 'wildcard two labels', raw: 'https://a.b.example.org/dash/x', want: 'https://a.b.example.org/dash/x' },
  { name: 'trailing-slash entry itself', raw: 'https://docs.example.net/app/', want: 'https://docs.example.net/app/' },
  { name: 'trailing-slash entry below', raw: 'https://docs.example.net/app/page', want: 'https://docs.example.net/app/page' },
  { name: 'http entry with port', raw: 'http://localhost:3000/anything', want: 'http://localhost:3000/anything' },
  { name: 'non-default port entry', raw: 'https://shop.example.com:8443/cart', want: 'https://shop.example.com:8443/cart' },
  { name: 'public base URL always allowed', raw: 'https://auth.example.com/', want: 'https://auth.example.com/' },
  { name: 'below public base URL', raw: 'https://auth.example.com/ui/welcome', want: 'https://auth.example.com/ui/welcome' },
  { name: 'IDNA host to punycode', raw: 'https://bücher.example/x', want: 'https://xn--bcher-kva.example/x' },
  { name: 'punycode host as given', raw: 'https://xn--bcher-kva.example/x', want: 'https://xn--bcher-kva.example/x' },
  // Full-width dots and letters are IDNA-mapped to the allowed host, and we redirect to that mapped host.
  { name: 'full-width dots map to allowed host', raw: 'https://app．example．com/app', want: 'https://app.example.com/app' },
  { name: 'full-width letters map to allowed host', raw: 'https://ａｐｐ.example.com/app', want: 'https://app.example.com/app' },
  { name: 'exactly max length', raw: long(RETURN_TO_MAX_LENGTH), want: long(RETURN_TO_MAX_LENGTH) },

  // Relative values resolve against the flow's default return URL.
  { name: 'relative inside prefix', raw: '/app/home', want: 'https://app.example.com/app/home' },
  { name: 'relative keeps query and fragment', raw: '/app/home?x=1#f', want: 'https://app.example.com/app/home?x=1#f' },
  { name: 'relative root against public base', raw: '/', base: PUBLIC_BASE, want: 'https://auth.example.com/' },
  { name: 'relative against public base', raw: '/ui/x/../y', base: PUBLIC_BASE, want: 'https://auth.example.com/ui/y' },
  { name: 'relative outside prefix', raw: '/admin', want: false },
  { name: 'relative dot segments escape prefix', raw: '/app/../admin', want: false },
  { name: 'relative /..//evil.com', raw: '/..//evil.com', want: false },
  { name: 'relative /..//evil.com on open origin', raw: '/..//evil.com', base: PUBLIC_BASE, want: false },
  { name: 'relative encoded slash', raw: '/%2f/evil.com', base: PUBLIC_BASE, want: false },
  { name: 'relative with bad base', raw: '/app/x', base: 'not a url', want: false },
  { name: 'relative with userinfo in base', raw: '/app/x', base: 'https://u:p@app.example.com/app/', want: false },

  // Protocol-relative and backslashes.
  { name: 'protocol-relative', raw: '//evil.com', want: false },
  { name: 'protocol-relative to allowed host', raw: '//app.example.com/app', want: false },
  { name: 'triple slash', raw: '///evil.com', want: false },
  { name: 'https triple slash', raw: 'https:///evil.com', want: false },
  { name: 'https quadruple slash', raw: 'https:////evil.com/app', want: false },
  // The parser skips the extra slashes, so these would otherwise land on an allowed URL.
  { name: 'https triple slash to allowed host', raw: 'https:///app.example.com/app', want: false },
  { name: 'http quadruple slash to allowed host', raw: 'http:////localhost:3000/', want: false },
  { name: 'slash backslash', raw: '/\\evil.com', want: false },
  { name: 'https backslashes', raw: 'https:\\\\evil.com', want: false },
  { name: 'https slash backslash', raw: 'https:/\\evil.com', want: false },
  { name: 'backslash before @', raw: 'https://app.example.com\\@evil.com/app', want: false },
  { name: 'backslash in path', raw: 'https://app.example.com/app\\..\\admin', want: false },

  // Control characters and whitespace, anywhere.
  { name: 'tab in host', raw: 'https://app.exa\tmple.com/app', want: false },
  { name: 'tab at end', raw: 'https://app.example.com/app\t', want: false },
  { name: 'CR LF header injection', raw: 'https://app.example.com/app\r\nSet-Cookie: x=1', want: false },
  { name: 'LF in relative', raw: '/app\n/x', want: false },
  { name: 'NUL', raw: 'https://app.example.com/app/\u0000x', want: false },
  { name: 'DEL', raw: 'https://app.example.com/app/\u007f', want: false },
  { name: 'C1 NEL', raw: '/app/\u0085', want: false },
  { name: 'C1 CSI', raw: 'https://app.example.com/app/\u009b', want: false },
  { name: 'U+2028', raw: 'https://app.example.com/app/\u2028', want: false },
  { name: 'U+2029', raw: '/app/\u2029x', want: false },
  { name: 'leading space', raw: ' https://app.example.com/app', want: false },
  { name: 'trailing space', raw: 'https://app.example.com/app ', want: false },
  { name: 'leading no-break space', raw: '\u00a0https://app.example.com/app', want: false },
  { name: 'only spaces', raw: '   ', want: false },

  // Userinfo, even empty.
  { name: 'allowed host as userinfo', raw: 'https://app.example.com@evil.com', want: false },
  { name: 'allowed host as userinfo with path', raw: 'https://app.example.com@evil.com/app', want: false },
  { name: 'empty userinfo', raw: 'https://@app.example.com/app', want: false },
  { name: 'empty user and password', raw: 'https://:@app.example.com/app', want: false },
  { name: 'user and password', raw: 'https://user:pw@app.example.com/app', want: false },

  // Label-boundary wildcards and other hosts.
  { name: 'wildcard bare domain', raw: 'https://example.org/dash', want: false },
  { name: 'wildcard label glued', raw: 'https://evilexample.org/dash', want: false },
  { name: 'wildcard domain as label of evil', raw: 'https://a.example.org.evil.com/dash', want: false },
  { name: 'wildcard empty leading label', raw: 'https://.example.org/dash', want: false },
  { name: 'wildcard empty middle label', raw: 'https://a..example.org/dash', want: false },
  { name: 'ideographic full stop to other host', raw: 'https://evil。com', want: false },
  { name: 'ideographic full stop suffix', raw: 'https://app.example.com。evil.com/app', want: false },
  { name: 'IP address', raw: 'https://127.0.0.1/app', want: false },
  { name: 'encoded slash in host', raw: 'https://app.example.com%2f.evil.com/app', want: false },

  // Trailing-dot hosts.
  { name: 'trailing dot', raw: 'https://app.example.com./app', want: false },
  { name: 'trailing ideographic full stop', raw: 'https://app.example.com。/app', want: false },
  { name: 'wildcard host trailing dot', raw: 'https://a.example.org./dash', want: false },

  // Segment-boundary paths.
  { name: 'prefix glued with dash', raw: 'https://app.example.com/app-evil', want: false },
  { name: 'prefix glued with letters', raw: 'https://app.example.com/application', want: false },
  { name: 'origin root outside prefix', raw: 'https://app.example.com/', want: false },
  { name: 'path case differs', raw: 'https://app.example.com/App', want: false },
  { name: 'slash entry without slash', raw: 'https://docs.example.net/app', want: false },
  { name: 'slash entry glued', raw: 'https://docs.example.net/application', want: false },
  { name: 'double slash path on open origin', raw: 'https://auth.example.com//evil.com', want: false },

  // Dot segments, plain and percent-encoded.
  { name: 'plain dot segments escape', raw: 'https://app.example.com/app/../admin', want: false },
  { name: '%2e%2e escape', raw: 'https://app.example.com/app/%2e%2e/admin', want: false },
  { name: '%2E%2e escape', raw: 'https://app.example.com/app/%2E%2e/admin', want: false },
  { name: '.%2e escape', raw: 'https://app.example.com/app/.%2e/admin', want: false },
  { name: '..%2f stays in prefix but encoded slash', raw: 'https://app.example.com/app/..%2fadmin', want: false },
  { name: '%2e%2e%2F', raw: 'https://app.example.com/app/%2e%2e%2Fadmin', want: false },
  { name: 'encoded backslash', raw: 'https://app.example.com/app/..%5cadmin', want: false },
  { name: 'encoded dot in a name', raw: 'https://auth.example.com/a%2ejs', want: false },

  // Port and scheme.
  { name: 'port mismatch', raw: 'https://app.example.com:8443/app', want: false },
  { name: 'missing non-default port', raw: 'https://shop.example.com/cart', want: false },
  { name: 'other port on localhost', raw: 'http://localhost:3001/', want: false },
  { name: 'default port on localhost', raw: 'http://localhost/', want: false },
  { name: 'scheme downgrade', raw: 'http://app.example.com/app', want: false },
  { name: 'scheme downgrade of public base', raw: 'http://auth.example.com/', want: false },
  { name: 'scheme upgrade is another origin', raw: 'https://localhost:3000/', want: false },

  // Other schemes and sloppy forms.
  { name: 'javascript:', raw: 'javascript:alert(1)', want: false },
  { name: 'javascript: mixed case', raw: 'JaVaScRiPt:alert(1)//https://app.example.com/app', want: false },
  { name: 'data:', raw: 'data:text/html,<script>alert(1)</script>', want: false },
  { name: 'vbscript:', raw: 'vbscript:msgbox(1)', want: false },
  { name: 'ftp:', raw: 'ftp://app.example.com/app', want: false },
  { name: 'file:', raw: 'file:///etc/passwd', want: false },
  { name: 'sloppy https:evil.com', raw: 'https:evil.com', want: false },
  { name: 'sloppy https:/x', raw: 'https:/evil.com', want: false },
  { name: 'sloppy form of allowed URL', raw: 'https:app.example.com/app', want: false },
  { name: 'sloppy single slash of allowed URL', raw: 'https:/app.example.com/app', want: false },
  { name: 'bare host', raw: 'app.example.com/app', want: false },
  { name: 'query only', raw: '?x=1', want: false },

  // Length.
  { name: 'one over max length', raw: long(RETURN_TO_MAX_LENGTH + 1), want: false },
];

t.test('resolveReturnTo', async (t) => {
  for (const c of cases) {
    const got = resolveReturnTo(c.raw, policy, c.base ?? APP_BASE);
    if (c.want === false) {
      t.equal(got.ok, false, `${c.name}: rejected`);
    } else {
      t.same(got, { ok: true, url: c.want }, `${c.name}: ${JSON.stringify(c.want)}`);
    }
  }
});

t.test('the failure reason quotes the value as given, escaped', async (t) => {
  const plain = resolveReturnTo('https://evil.com/x', policy, APP_BASE);
  t.same(plain, { ok: false, reason: 'Requested return_to URL "https://evil.com/x" is not allowed.' });

  const nasty = 'https://evil.com/"\r\n\u2028\u0085\u007f\\';
  const got = resolveReturnTo(nasty, policy, APP_BASE);
  t.same(got, {
    ok: false,
    reason: 'Requested return_to URL "https://evil.com/\\"\\r\\n\\u2028\\u0085\\u007f\\\\" is not allowed.',
  });
  if (!got.ok) t.notMatch(got.reason, /[\r\n\u2028\u2029\u0085]/, 'no raw line breaks');
});

t.test('compileReturnToPolicy refuses an unsafe entry at boot', async (t) => {
  t.throws(() => compileReturnToPolicy(['https://*.com'], PUBLIC_BASE), TypeError);
  t.throws(() => compileReturnToPolicy([], 'not a url'), TypeError);
});

t.test('checkAllowedReturnUrl', async (t) => {
  const ok = [
    'https://app.example.com',
    'https://app.example.com/app',
    'https://app.example.com/app/',
    'https://*.example.com',
    'https://*.example.com/path',
    'https://*.eu.example.com:8443/path',
    'http://localhost:3000',
    'http://127.0.0.1:4455/',
    'https://bücher.example/',
    'HTTPS://APP.EXAMPLE.COM/',
  ];
  for (const entry of ok) t.equal(checkAllowedReturnUrl(entry), null, `${entry} is fine`);

  const bad: Array<[string, RegExp]> = [
    ['*', /http/],
    ['https://*', /wildcard|leading label/],
    ['https://*/', /wildcard|leading label/],
    ['https://*.com', /top-level|registrable|not \*\.com/],
    ['https://*.localhost:3000', /registrable/],
    ['https://*.1.2.3', /IP address/],
    ['https://a.*.example.com', /leading label/],
    ['https://*a.example.com', /leading label/],
    ['https://a*.example.com', /leading label/],
    ['https://*.*.example.com', /leading label/],
    ['https://app.example.com/*', /leading label/],
    ['https://user@*.example.com', /leading label|user info/],
    ['ftp://example.com', /http/],
    ['example.com', /http/],
    ['//example.com', /http/],
    ['javascript:alert(1)', /http/],
    ['https://user@example.com', /user info/],
    ['https://@example.com', /user info/],
    ['https://example.com/?x=1', /query or fragment/],
    ['https://example.com/#x', /query or fragment/],
    ['https://example.com.', /dot/],
    ['https://*.example.com./', /dot/],
    ['https:///example.com', /host/],
    ['https://exa mple.com', /valid URL/],
    ['', /non-empty/],
    [' https://example.com', /whitespace/],
    ['https://example.com/\nx', /control/],
    ['https://example.com\\app', /backslash/],
    ['https://example.com/a..%2fb', /encoded/],
  ];
  for (const [entry, message] of bad) {
    t.match(checkAllowedReturnUrl(entry), message, `${JSON.stringify(entry)} is refused`);
  }
});
