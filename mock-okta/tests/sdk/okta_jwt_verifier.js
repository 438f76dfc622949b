// Okta's Node token verifier, @okta/jwt-verifier 4.x, unmodified, against mock-okta over https
// (the CA comes from NODE_EXTRA_CA_CERTS). Driven by tests/verifiers.rs with one JSON argument:
// {issuer, audience, client_id, org_url, as_id, api_token, access, id_token, nonce,
//  refresh_token, foreign_access, foreign_id, narrow_access (without Kiro's scope)}.
// Verifies the tokens, refuses tampered ones, rotates the server's keys through the management
// API, refreshes (new tokens, new key) and verifies again with the same verifiers (their JWKS
// cache) and a fresh one. Prints one JSON summary: each case is "ok" or
// "refused: {the verifier's reason}".
'use strict';

const OktaJwtVerifier = require('@okta/jwt-verifier');

const input = JSON.parse(process.argv[2]);

function b64url(obj) {
  return Buffer.from(JSON.stringify(obj)).toString('base64url');
}

function parts(token) {
  const [h, p, s] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(h, 'base64url').toString()),
    payload: JSON.parse(Buffer.from(p, 'base64url').toString()),
    raw: [h, p, s],
  };
}

// The same signature over a changed payload.
function alterPayload(token, change) {
  const { payload, raw } = parts(token);
  return [raw[0], b64url({ ...payload, ...change }), raw[2]].join('.');
}

// A valid signature by the same key, but of another token.
function swapSignature(token, other) {
  const raw = token.split('.');
  return [raw[0], raw[1], other.split('.')[2]].join('.');
}

// `alg: none`, no signature.
function unsigned(token) {
  const { header, raw } = parts(token);
  return [b64url({ ...header, alg: 'none' }), raw[1], ''].join('.');
}

async function outcome(promise) {
  try {
    await promise;
    return 'ok';
  } catch (e) {
    return `refused: ${e && e.message ? e.message : e}`;
  }
}

async function post(url, headers, body) {
  const res = await fetch(url, { method: 'POST', headers, body });
  const json = await res.json();
  if (!res.ok) throw new Error(`${url}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

async function main() {
  // As Okta's guide configures an API's verifier: the app's client id (`cid`) and a scope
  // asserted on access tokens. ID tokens get their own verifier (assertions apply to both).
  const options = {
    issuer: input.issuer,
    clientId: input.client_id,
    assertClaims: { cid: input.client_id, 'scp.includes': ['codewhisperer:completions'] },
  };
  const verifier = new OktaJwtVerifier(options);
  const idVerifier = new OktaJwtVerifier({ issuer: input.issuer, clientId: input.client_id });
  const access = (v, t, aud = input.audience) => outcome(v.verifyAccessToken(t, aud));
  const id = (v, t, nonce, clientId = input.client_id) =>
    outcome(v.verifyIdToken(t, clientId, nonce));

  const s = {};
  const jwt = await verifier.verifyAccessToken(input.access, input.audience);
  s.access_claims = {
    iss: jwt.claims.iss,
    aud: jwt.claims.aud,
    cid: jwt.claims.cid,
    uid: jwt.claims.uid,
    sub: jwt.claims.sub,
    scp: jwt.claims.scp,
  };
  const idJwt = await idVerifier.verifyIdToken(input.id_token, input.client_id, input.nonce);
  s.id_claims = { aud: idJwt.claims.aud, sub: idJwt.claims.sub, nonce: idJwt.claims.nonce };
  const kidBefore = jwt.header.kid;

  s.before = {
    access: await access(verifier, input.access),
    id: await id(idVerifier, input.id_token, input.nonce),
  };
  s.tampered = {
    access_payload: await access(verifier, alterPayload(input.access, { uid: 'someone-else' })),
    access_scopes: await access(
      verifier,
      alterPayload(input.access, { scp: [...jwt.claims.scp, 'okta.users.manage'] }),
    ),
    access_signature: await access(verifier, swapSignature(input.access, input.id_token)),
    access_unsigned: await access(verifier, unsigned(input.access)),
    access_wrong_audience: await access(verifier, input.access, 'api://other'),
    access_wrong_issuer: await access(verifier, input.foreign_access),
    access_missing_scope: await access(verifier, input.narrow_access),
    id_payload: await id(idVerifier, alterPayload(input.id_token, { sub: 'someone-else' }), input.nonce),
    id_signature: await id(idVerifier, swapSignature(input.id_token, input.access), input.nonce),
    id_wrong_client: await id(idVerifier, input.id_token, input.nonce, '0oaNotTheClient'),
    id_wrong_nonce: await id(idVerifier, input.id_token, 'another-nonce'),
    id_wrong_issuer: await id(idVerifier, input.foreign_id, input.nonce),
  };

  // Rotate, as an admin would, then refresh: the new tokens carry the new key's kid.
  const keys = await post(
    `${input.org_url}/api/v1/authorizationServers/${input.as_id}/credentials/lifecycle/keyRotate`,
    {
      authorization: `SSWS ${input.api_token}`,
      accept: 'application/json',
      'content-type': 'application/json',
    },
    JSON.stringify({ use: 'sig' }),
  );
  const active = keys.find((k) => k.status === 'ACTIVE');
  const refreshed = await post(
    `${input.issuer}/v1/token`,
    { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    new URLSearchParams({
      grant_type: 'refresh_token',
      client_id: input.client_id,
      refresh_token: input.refresh_token,
    }),
  );
  const kidAfter = parts(refreshed.access_token).header.kid;
  s.kids = {
    before_differs_from_after: kidBefore !== kidAfter,
    after_is_active_key: active !== undefined && active.kid === kidAfter,
    id_token_after: parts(refreshed.id_token).header.kid === kidAfter,
  };
  const fresh = new OktaJwtVerifier(options);
  s.after = {
    new_access: await access(verifier, refreshed.access_token),
    new_id: await id(idVerifier, refreshed.id_token, undefined),
    old_access: await access(verifier, input.access),
    old_id: await id(idVerifier, input.id_token, input.nonce),
    fresh_new_access: await access(fresh, refreshed.access_token),
    fresh_old_access: await access(fresh, input.access),
    new_access_tampered: await access(
      verifier,
      alterPayload(refreshed.access_token, { cid: 'another-client' }),
    ),
  };
  console.log(JSON.stringify(s));
}

main().catch((e) => {
  console.error(e && e.stack ? e.stack : e);
  process.exit(1);
});
