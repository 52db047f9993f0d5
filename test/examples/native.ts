// A native app signs in for a session token and later revokes it. Run by test/examples/examples.test.ts.

export async function signIn(logoutdUrl: string, email: string, password: string): Promise<string> {
  const flow = (await (await fetch(`${logoutdUrl}/self-service/login/api`)).json()) as { id: string };
  const res = await fetch(`${logoutdUrl}/self-service/login?flow=${flow.id}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ method: 'password', identifier: email, password }),
  });
  if (res.status !== 200) throw new Error(`login failed: ${res.status}`);
  return ((await res.json()) as { session_token: string }).session_token; // keep it in the OS keychain
}

export async function signOut(logoutdUrl: string, sessionToken: string): Promise<void> {
  const res = await fetch(`${logoutdUrl}/self-service/logout/api`, {
    method: 'DELETE',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ session_token: sessionToken }),
  });
  // 204 also when the session had already ended: safe to retry.
  if (res.status !== 204) throw new Error(`logout failed: ${res.status}`);
}
