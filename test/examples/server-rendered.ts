// A server-rendered app asks logoutd for the user's logout link with the official Ory SDK and
// renders it; the user's click does the rest. Run by test/examples/examples.test.ts.
import { Configuration, FrontendApi, ResponseError } from '@ory/client-fetch';

export async function logoutLink(logoutdUrl: string, cookieHeader: string, returnTo?: string): Promise<string | null> {
  // Accept: JSON, so a missing session is a 401 to handle here, not a redirect to the error page.
  const ory = new FrontendApi(new Configuration({ basePath: logoutdUrl, headers: { Accept: 'application/json' } }));
  try {
    const flow = await ory.createBrowserLogoutFlow({ cookie: cookieHeader, returnTo });
    return flow.logout_url; // render as <a href="…">Log out</a>
  } catch (err) {
    if (err instanceof ResponseError && err.response.status === 401) return null; // not signed in
    throw err;
  }
}
