// What a browser does with cookies for one site, over fetch: keep Set-Cookie, send Cookie back
// (unless the request says credentials: 'omit'), forget cookies that are cleared.

export function cookieJarFetch(): { fetch: (url: string | URL | Request, init?: RequestInit) => Promise<Response>; jar: Map<string, string> } {
  const jar = new Map<string, string>();
  const jarFetch = async (url: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const headers = new Headers(init.headers);
    if (jar.size && init.credentials !== 'omit') headers.set('cookie', [...jar].map(([k, v]) => `${k}=${v}`).join('; '));
    const res = await fetch(url, { ...init, headers });
    for (const c of res.headers.getSetCookie()) {
      const pair = c.split(';')[0] as string;
      const i = pair.indexOf('=');
      const name = pair.slice(0, i);
      const value = pair.slice(i + 1);
      if (/max-age=0/i.test(c) || value === '') jar.delete(name);
      else jar.set(name, value);
    }
    return res;
  };
  return { fetch: jarFetch, jar };
}
