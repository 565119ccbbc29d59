// The console's JSON API (/console/api): the session cookie goes by itself (HttpOnly, SameSite=Strict),
// the CSRF token rides in a header on every state-changing call. No key is ever kept here.
let csrfToken = '';

export function setCsrf(token) {
  csrfToken = token ?? '';
}

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export async function api(method, path, body, headers = {}) {
  const res = await fetch(`/console/api${path}`, {
    method,
    credentials: 'same-origin',
    headers: {
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(method !== 'GET' ? { 'x-csrf-token': csrfToken } : {}),
      ...headers,
    },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  let json;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (!res.ok) throw new ApiError(res.status, json?.error?.code ?? 'http_error', json?.error?.message ?? `HTTP ${res.status}`);
  return json;
}

/** Sign-in: a CSRF token first, then the key once in the Authorization header; it is not kept. */
export async function signIn(key) {
  setCsrf((await api('GET', '/csrf')).csrf_token);
  const session = await api('POST', '/session', undefined, { authorization: `Bearer ${key}` });
  setCsrf(session.csrf_token);
  return session;
}

export async function currentSession() {
  const session = await api('GET', '/session');
  setCsrf(session.csrf_token);
  return session;
}

export const signOut = () => api('DELETE', '/session');
