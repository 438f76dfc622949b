// openid-client 6.x (ESM, the oauth4webapi-based API), unmodified, as a relying party of
// mock-okta over https (the CA comes from NODE_EXTRA_CA_CERTS). Driven by tests/verifiers.rs
// with one JSON argument: {issuer, client_id, redirect, login, password, org_url, scope}.
// Discovery; authorization code + PKCE signed in both ways Okta offers — headlessly
// (`POST /api/v1/authn` → `sessionToken` on the authorize URL) and through the HTML login form
// (GET /authorize with `max_age`, fill the form, POST it, follow the redirects with the cookie)
// — each code exchanged by the library (state, nonce, `auth_time` and ID-token checks);
// refresh; userinfo.
// Prints one JSON summary.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

// NODE_PATH does not apply to ESM imports: resolve the package from it explicitly.
const require = createRequire(`${process.env.NODE_PATH}/`);
const client = await import(pathToFileURL(require.resolve('openid-client')).href);

const input = JSON.parse(process.argv[2]);
const MAX_AGE = 3600;

const ENTITIES = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", '#x27': "'" };
const unescape = (s) => s.replace(/&(amp|lt|gt|quot|#39|#x27);/g, (_, e) => ENTITIES[e]);
const attr = (tag, name) => {
  const m = tag.match(new RegExp(`\\s${name}="([^"]*)"`));
  return m ? unescape(m[1]) : undefined;
};

// The login page's form: its action and every named input's value.
function parseForm(html) {
  const form = html.match(/<form\b[^>]*>/);
  if (!form) throw new Error(`no form in the login page: ${html.slice(0, 300)}`);
  const fields = {};
  for (const [tag] of html.matchAll(/<input\b[^>]*>/g)) {
    const name = attr(tag, 'name');
    if (name) fields[name] = attr(tag, 'value') ?? '';
  }
  return { action: attr(form[0], 'action'), method: attr(form[0], 'method'), fields };
}

// A browser with a cookie jar that does not follow redirects by itself.
class Browser {
  constructor() {
    this.jar = new Map();
  }

  async request(url, init = {}) {
    const headers = new Headers(init.headers);
    if (this.jar.size) {
      headers.set('cookie', [...this.jar].map(([k, v]) => `${k}=${v}`).join('; '));
    }
    const res = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const cookie of res.headers.getSetCookie()) {
      const [pair] = cookie.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (value === '' || /max-age=0/i.test(cookie)) this.jar.delete(name);
      else this.jar.set(name, value);
    }
    return res;
  }

  // Follows redirects until one leaves for the app's redirect URI; returns that URL.
  async followToCallback(res, from) {
    let url = from;
    for (let hops = 0; hops < 5; hops++) {
      if (res.status !== 302 && res.status !== 303) {
        throw new Error(`expected a redirect from ${url}, got ${res.status}: ${await res.text()}`);
      }
      const next = new URL(res.headers.get('location'), url);
      if (next.href.startsWith(input.redirect)) return next;
      url = next;
      res = await this.request(url);
    }
    throw new Error('too many redirects');
  }
}

const config = await client.discovery(
  new URL(input.issuer),
  input.client_id,
  { redirect_uris: [input.redirect], token_endpoint_auth_method: 'none' },
  client.None(),
);
const meta = config.serverMetadata();

async function signIn(mode) {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const params = {
    redirect_uri: input.redirect,
    scope: input.scope,
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  };
  const browser = new Browser();
  const out = { mode };
  let callback;
  if (mode === 'sessionToken') {
    const authn = await fetch(`${input.org_url}/api/v1/authn`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ username: input.login, password: input.password }),
    }).then((r) => r.json());
    out.authn_status = authn.status;
    params.sessionToken = authn.sessionToken;
    const url = client.buildAuthorizationUrl(config, params);
    callback = await browser.followToCallback(await browser.request(url), url);
  } else {
    // A relying party that wants a recent sign-in: the library then checks `auth_time`.
    params.max_age = String(MAX_AGE);
    const url = client.buildAuthorizationUrl(config, params);
    const page = await browser.request(url);
    out.login_page_status = page.status;
    const form = parseForm(await page.text());
    out.form_method = form.method;
    const action = new URL(form.action, url);
    const fields = { ...form.fields, username: input.login, password: input.password };
    const posted = await browser.request(action, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields),
    });
    out.session_cookie = browser.jar.has('sid');
    callback = await browser.followToCallback(posted, action);
  }
  const tokens = await client.authorizationCodeGrant(config, callback, {
    pkceCodeVerifier: verifier,
    expectedState: state,
    expectedNonce: nonce,
    idTokenExpected: true,
    ...(mode === 'form' ? { maxAge: MAX_AGE } : {}),
  });
  const claims = tokens.claims();
  out.id_sub = claims.sub;
  out.id_aud = claims.aud;
  out.id_email = claims.email;
  out.scope = tokens.scope;
  out.token_type = tokens.token_type;
  out.has_refresh = typeof tokens.refresh_token === 'string';
  return { out, tokens, claims };
}

const summary = {
  issuer: meta.issuer,
  pkce_methods: meta.code_challenge_methods_supported,
};
const headless = await signIn('sessionToken');
const form = await signIn('form');
summary.session_token = headless.out;
summary.form = form.out;

const refreshed = await client.refreshTokenGrant(config, form.tokens.refresh_token);
summary.refresh = {
  access_differs: refreshed.access_token !== form.tokens.access_token,
  id_sub: refreshed.claims()?.sub,
  has_refresh: typeof refreshed.refresh_token === 'string',
};
const info = await client.fetchUserInfo(config, refreshed.access_token, form.claims.sub);
summary.userinfo = { sub: info.sub, email: info.email, preferred_username: info.preferred_username };
const first = await client.fetchUserInfo(config, headless.tokens.access_token, headless.claims.sub);
summary.userinfo_session_token = { sub: first.sub };
console.log(JSON.stringify(summary));
