"""Okta's Python token verifier, okta-jwt-verifier, unmodified, against mock-okta over https.

Driven by tests/verifiers.rs with the same JSON argument as okta_jwt_verifier.js (named so as not to shadow the package) (the CA comes
from SSL_CERT_FILE for aiohttp and REQUESTS_CA_BUNDLE for requests). Uses both of the package's
paths: `verify_sync` (requests) and `verify` (asyncio, aiohttp with a Cache-Control-honouring
cache). Verifies, refuses tampered tokens, rotates the keys, refreshes, verifies again with the
same verifiers and fresh ones. Prints one JSON summary: each case is "ok" or
"refused: {the verifier's reason}".
"""

import asyncio
import base64
import json
import sys

import requests
from okta_jwt_verifier import AccessTokenVerifier, IDTokenVerifier

INPUT = json.loads(sys.argv[1])


def b64url(obj):
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()


def unb64(part):
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def alter_payload(token, **change):
    h, p, s = token.split(".")
    return ".".join([h, b64url({**unb64(p), **change}), s])


def swap_signature(token, other):
    h, p, _ = token.split(".")
    return ".".join([h, p, other.split(".")[2]])


def unsigned(token):
    h, p, _ = token.split(".")
    return ".".join([b64url({**unb64(h), "alg": "none"}), p, ""])


def kid(token):
    return unb64(token.split(".")[0])["kid"]


def outcome(call):
    try:
        call()
        return "ok"
    except Exception as e:  # the verifier's refusal, whatever its class
        return f"refused: {type(e).__name__}: {e}"


async def outcome_async(coro):
    try:
        await coro
        return "ok"
    except Exception as e:
        return f"refused: {type(e).__name__}: {e}"


def verifiers(audience=None):
    access = AccessTokenVerifier(issuer=INPUT["issuer"], audience=audience or INPUT["audience"])
    ident = IDTokenVerifier(
        issuer=INPUT["issuer"], client_id=INPUT["client_id"], audience=INPUT["audience"]
    )
    return access, ident


def id_verifier(client_id):
    return IDTokenVerifier(issuer=INPUT["issuer"], client_id=client_id, audience=INPUT["audience"])


async def main():
    s = {}
    access_v, id_v = verifiers()
    a, i, n = INPUT["access"], INPUT["id_token"], INPUT["nonce"]
    claims = unb64(a.split(".")[1])

    s["before"] = {
        "access": outcome(lambda: access_v.verify_sync(a)),
        "id": outcome(lambda: id_v.verify_sync(i, nonce=n)),
        "access_async": await outcome_async(access_v.verify(a)),
        "id_async": await outcome_async(id_v.verify(i, nonce=n)),
    }
    wrong_aud, _ = verifiers("api://other")
    s["tampered"] = {
        "access_payload": outcome(lambda: access_v.verify_sync(alter_payload(a, uid="someone-else"))),
        "access_scopes": outcome(
            lambda: access_v.verify_sync(alter_payload(a, scp=claims["scp"] + ["okta.users.manage"]))
        ),
        "access_signature": outcome(lambda: access_v.verify_sync(swap_signature(a, i))),
        "access_unsigned": outcome(lambda: access_v.verify_sync(unsigned(a))),
        "access_wrong_audience": outcome(lambda: wrong_aud.verify_sync(a)),
        "access_wrong_issuer": outcome(lambda: access_v.verify_sync(INPUT["foreign_access"])),
        "access_payload_async": await outcome_async(access_v.verify(alter_payload(a, uid="x"))),
        "id_payload": outcome(lambda: id_v.verify_sync(alter_payload(i, sub="someone-else"), nonce=n)),
        "id_signature": outcome(lambda: id_v.verify_sync(swap_signature(i, a), nonce=n)),
        "id_wrong_client": outcome(lambda: id_verifier("0oaNotTheClient").verify_sync(i, nonce=n)),
        "id_wrong_nonce": outcome(lambda: id_v.verify_sync(i, nonce="another-nonce")),
        "id_wrong_issuer": outcome(lambda: id_v.verify_sync(INPUT["foreign_id"], nonce=n)),
    }

    # Rotate, as an admin would, then refresh: the new tokens carry the new key's kid.
    rotated = requests.post(
        f"{INPUT['org_url']}/api/v1/authorizationServers/{INPUT['as_id']}"
        "/credentials/lifecycle/keyRotate",
        headers={"Authorization": f"SSWS {INPUT['api_token']}", "Accept": "application/json"},
        json={"use": "sig"},
        timeout=10,
    )
    rotated.raise_for_status()
    active = [k["kid"] for k in rotated.json() if k["status"] == "ACTIVE"]
    refreshed = requests.post(
        f"{INPUT['issuer']}/v1/token",
        data={
            "grant_type": "refresh_token",
            "client_id": INPUT["client_id"],
            "refresh_token": INPUT["refresh_token"],
        },
        headers={"Accept": "application/json"},
        timeout=10,
    )
    refreshed.raise_for_status()
    new_a, new_i = refreshed.json()["access_token"], refreshed.json()["id_token"]
    s["kids"] = {
        "before_differs_from_after": kid(a) != kid(new_a),
        "after_is_active_key": active == [kid(new_a)],
        "id_token_after": kid(new_i) == kid(new_a),
    }
    fresh_access, _ = verifiers()
    s["after"] = {
        "new_access": outcome(lambda: access_v.verify_sync(new_a)),
        "new_id": outcome(lambda: id_v.verify_sync(new_i)),
        "new_access_async": await outcome_async(access_v.verify(new_a)),
        "new_id_async": await outcome_async(id_v.verify(new_i)),
        "old_access": outcome(lambda: access_v.verify_sync(a)),
        "old_id": outcome(lambda: id_v.verify_sync(i, nonce=n)),
        "old_access_async": await outcome_async(access_v.verify(a)),
        "fresh_new_access": outcome(lambda: fresh_access.verify_sync(new_a)),
        "fresh_old_access": outcome(lambda: fresh_access.verify_sync(a)),
        "new_access_tampered": outcome(
            lambda: access_v.verify_sync(alter_payload(new_a, cid="another-client"))
        ),
    }
    print(json.dumps(s))


asyncio.run(main())
