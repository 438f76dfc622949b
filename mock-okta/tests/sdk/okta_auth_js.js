#!/usr/bin/env node
// Drives mock-okta with Okta's sign-in SDK (npm `@okta/okta-auth-js` 8.x), unmodified, as a
// public client (token_endpoint_auth_method none, PKCE).
//
// Usage: node okta_auth_js.js ISSUER CLIENT_ID REDIRECT_URI USERNAME PASSWORD
//        (the package resolved through NODE_PATH)
//
// Sign-in with credentials (/api/v1/authn → sessionToken), PKCE parameters from the SDK, the
// authorize request carrying the sessionToken (the one step done by hand: the SDK's own
// authorize helpers need a browser frame), the code exchange (the SDK verifies the ID token),
// refresh, userinfo, introspection and revocation of the access and refresh tokens. Prints one
// JSON summary on stdout; any error is printed to stderr and exits non-zero.
'use strict';

const { OktaAuth } = require('@okta/okta-auth-js');

async function step(what, call) {
  try {
    return await call();
  } catch (error) {
    console.error(`okta-auth-js failed: ${what}: ${error && error.stack || error}`
      + (error && error.xhr ? ` (HTTP ${error.xhr.status}: ${error.xhr.responseText})` : ''));
    process.exit(1);
  }
}

async function main(issuer, clientId, redirectUri, username, password) {
  const scopes = ['openid', 'profile', 'email', 'offline_access'];
  const auth = new OktaAuth({ issuer, clientId, redirectUri, scopes, pkce: true });
  const summary = {};

  const tx = await step('sign in', () => auth.signInWithCredentials({ username, password }));
  summary.signin_status = tx.status;

  const params = await step('token params', () => auth.token.prepareTokenParams({
    responseType: 'code', scopes }));
  summary.challenge_method = params.codeChallengeMethod;
  const authorize = new URL(`${issuer}/v1/authorize`);
  for (const [name, value] of Object.entries({
    client_id: clientId,
    response_type: 'code',
    scope: scopes.join(' '),
    redirect_uri: redirectUri,
    state: params.state,
    nonce: params.nonce,
    code_challenge: params.codeChallenge,
    code_challenge_method: params.codeChallengeMethod,
    sessionToken: tx.sessionToken,
  })) {
    authorize.searchParams.set(name, value);
  }
  const redirect = await step('authorize', () => fetch(authorize, { redirect: 'manual' }));
  const location = new URL(redirect.headers.get('location'));
  summary.state_matches = location.searchParams.get('state') === params.state;
  const code = location.searchParams.get('code');

  const first = await step('exchange code', () => auth.token.exchangeCodeForTokens({
    authorizationCode: code,
    codeVerifier: params.codeVerifier,
    redirectUri,
    scopes,
    nonce: params.nonce,
  }));
  const { accessToken, idToken, refreshToken } = first.tokens;
  summary.id_token_email = idToken.claims.email;
  summary.access_scopes = accessToken.scopes;
  summary.has_refresh = Boolean(refreshToken && refreshToken.refreshToken);

  const renewed = await step('refresh', () => auth.token.renewTokensWithRefresh({ scopes },
    refreshToken));
  summary.refreshed_access_differs = renewed.accessToken.accessToken !== accessToken.accessToken;
  const info = await step('userinfo', () => auth.token.getUserInfo(renewed.accessToken,
    renewed.idToken));
  summary.userinfo_email = info.email;

  const live = await step('introspect', () => auth.token.introspect('accessToken',
    renewed.accessToken));
  summary.introspect_active = live.active;
  summary.introspect_client = live.client_id;
  const liveRefresh = await step('introspect refresh', () => auth.token.introspect(
    'refreshToken', renewed.refreshToken));
  summary.introspect_refresh_active = liveRefresh.active;

  await step('revoke access', () => auth.revokeAccessToken(renewed.accessToken));
  await step('revoke refresh', () => auth.revokeRefreshToken(renewed.refreshToken));
  summary.introspect_after_revoke = (await step('introspect revoked', () => auth.token.introspect(
    'accessToken', renewed.accessToken))).active;
  summary.introspect_refresh_after_revoke = (await step('introspect revoked refresh',
    () => auth.token.introspect('refreshToken', renewed.refreshToken))).active;
  console.log(JSON.stringify(summary));
}

if (process.argv.length !== 7) {
  console.error('usage: node okta_auth_js.js ISSUER CLIENT_ID REDIRECT_URI USERNAME PASSWORD');
  process.exit(2);
}
main(...process.argv.slice(2)).catch(error => {
  console.error(error && error.stack || error);
  process.exit(1);
});
