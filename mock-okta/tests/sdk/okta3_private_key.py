"""The official Okta Python SDK 3.x in PrivateKey mode against mock-okta, unmodified.

A service app with `private_key_jwt` (the public half of a fixed dev RSA key in its JWKS) is
granted `okta.users.read` by an admin (SSWS); the SDK then authenticates the way it does against
a real org: a client assertion to the org authorization server, a scoped access token, the
management API with `Authorization: Bearer`. Listing users is within the scope; creating one is
not. Prints one JSON summary line.

Usage: okta3_private_key.py ORG_URL SSWS_TOKEN PRIVATE_KEY_PEM_PATH
"""

import asyncio
import base64
import json
import os
import sys
import urllib.request

from cryptography.hazmat.primitives import serialization


def b64(number):
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def admin(org_url, token, method, path, body=None):
    request = urllib.request.Request(
        org_url + path,
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={
            "Authorization": "SSWS " + token,
            "Content-Type": "application/json",
            "Accept": "application/json",
        },
    )
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read() or b"null")


async def main(org_url, token, pem_path):
    pem = open(pem_path).read()
    public = serialization.load_pem_private_key(pem.encode(), password=None).public_key()
    numbers = public.public_numbers()
    jwk = {"kty": "RSA", "kid": "sdk-key", "use": "sig", "e": b64(numbers.e), "n": b64(numbers.n)}

    admin(org_url, token, "POST", "/api/v1/users?activate=true", {"profile": {
        "firstName": "Ada", "lastName": "Lovelace",
        "email": "ada@example.com", "login": "ada@example.com"}})
    app = admin(org_url, token, "POST", "/api/v1/apps", {
        "name": "oidc_client", "label": "Okta SDK", "signOnMode": "OPENID_CONNECT",
        "credentials": {"oauthClient": {"token_endpoint_auth_method": "private_key_jwt"}},
        "settings": {"oauthClient": {"application_type": "service",
                                     "grant_types": ["client_credentials"],
                                     "jwks": {"keys": [jwk]}}}})
    client_id = app["id"]
    admin(org_url, token, "POST", f"/api/v1/apps/{client_id}/grants",
          {"issuer": org_url, "scopeId": "okta.users.read"})

    if org_url.startswith("http://"):
        # The SDK refuses plain-http org URLs unless its testing switch is on.
        os.environ["OKTA_TESTING_TESTINGDISABLEHTTPSCHECK"] = "true"
    from okta.client import Client as OktaClient

    config = {"orgUrl": org_url, "authorizationMode": "PrivateKey", "clientId": client_id,
              "scopes": ["okta.users.read"], "privateKey": pem, "kid": "sdk-key",
              "rateLimit": {"maxRetries": 0}}
    summary = {"client_id": client_id}
    async with OktaClient(config) as client:
        users, _, err = await client.list_users()
        summary["list_error"] = str(err) if err else None
        summary["logins"] = [u.profile.login for u in users or []]
        _, response, err = await client.create_user({"profile": {
            "firstName": "Bob", "lastName": "Builder",
            "email": "bob@example.com", "login": "bob@example.com"}})
        summary["create_status"] = getattr(response, "status", None)
        summary["create_error"] = str(err) if err else None
    print(json.dumps(summary))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3]))
