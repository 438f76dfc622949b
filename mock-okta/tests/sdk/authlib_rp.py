"""Authlib (with requests), unmodified, as a relying party of mock-okta over https.

Driven by tests/verifiers.rs with the same JSON argument as openid_client.mjs (the CA comes from
REQUESTS_CA_BUNDLE). Discovery; authorization code + PKCE (S256) through `OAuth2Session`, signed
in both ways Okta offers: headlessly (`POST /api/v1/authn` -> `sessionToken` on the authorize
URL) and through the HTML login form (with `max_age`, so `auth_time` is checked too) (parsed with the standard library's HTML parser, posted
with a cookie-keeping `requests.Session`); the ID token checked as Authlib's OpenID clients do
(joserfc against the JWKS, then `CodeIDToken` with iss, aud, nonce, at_hash, exp, iat);
refresh; userinfo. Prints one JSON summary.
"""

import json
import sys
from html.parser import HTMLParser
from urllib.parse import urljoin

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from authlib.oidc.core import CodeIDToken, UserInfo
from joserfc import jwt
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry

INPUT = json.loads(sys.argv[1])
TIMEOUT = 10


class FormParser(HTMLParser):
    """The first form of a page: its attributes and named inputs."""

    def __init__(self):
        super().__init__()
        self.form = None
        self.fields = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and self.form is None:
            self.form = attrs
        elif tag == "input" and self.form is not None and attrs.get("name"):
            self.fields[attrs["name"]] = attrs.get("value") or ""


def follow_to_callback(browser, response, url):
    """Follows redirects until one leaves for the app's redirect URI; returns that URL."""
    for _ in range(5):
        if response.status_code not in (302, 303):
            raise RuntimeError(f"expected a redirect from {url}: {response.status_code} {response.text}")
        url = urljoin(url, response.headers["Location"])
        if url.startswith(INPUT["redirect"]):
            return url
        response = browser.get(url, allow_redirects=False, timeout=TIMEOUT)
    raise RuntimeError("too many redirects")


META = requests.get(
    f"{INPUT['issuer']}/.well-known/openid-configuration", timeout=TIMEOUT
).json()
JWKS = requests.get(META["jwks_uri"], timeout=TIMEOUT).json()


MAX_AGE = 3600


def parse_id_token(token, nonce, max_age=None):
    """What authlib's OpenIDMixin.parse_id_token does, without a web framework."""
    decoded = jwt.decode(
        token["id_token"],
        key=KeySet.import_key_set(JWKS),
        registry=JWSRegistry(
            algorithms=META.get("id_token_signing_alg_values_supported"),
            strict_check_header=False,
        ),
    )
    claims = CodeIDToken(
        decoded.claims,
        decoded.header,
        {"iss": {"values": [META["issuer"]]}},
        {
            "nonce": nonce,
            "client_id": INPUT["client_id"],
            "access_token": token["access_token"],
            "max_age": max_age,
        },
    )
    claims.validate(leeway=120)
    return UserInfo(claims)


def session():
    return OAuth2Session(
        INPUT["client_id"],
        redirect_uri=INPUT["redirect"],
        scope=INPUT["scope"],
        code_challenge_method="S256",
        token_endpoint_auth_method="none",
    )


def sign_in(mode):
    oauth = session()
    verifier = generate_token(48)
    nonce = generate_token(20)
    extra = {}
    out = {"mode": mode}
    browser = requests.Session()
    if mode == "sessionToken":
        authn = requests.post(
            f"{INPUT['org_url']}/api/v1/authn",
            json={"username": INPUT["login"], "password": INPUT["password"]},
            headers={"Accept": "application/json"},
            timeout=TIMEOUT,
        ).json()
        out["authn_status"] = authn["status"]
        extra["sessionToken"] = authn["sessionToken"]
    else:
        # A relying party that wants a recent sign-in: the ID token's `auth_time` is checked.
        extra["max_age"] = str(MAX_AGE)
    url, state = oauth.create_authorization_url(
        META["authorization_endpoint"], code_verifier=verifier, nonce=nonce, **extra
    )
    if mode == "sessionToken":
        callback = follow_to_callback(
            browser, browser.get(url, allow_redirects=False, timeout=TIMEOUT), url
        )
    else:
        page = browser.get(url, allow_redirects=False, timeout=TIMEOUT)
        out["login_page_status"] = page.status_code
        parser = FormParser()
        parser.feed(page.text)
        out["form_method"] = parser.form.get("method")
        action = urljoin(url, parser.form["action"])
        fields = {**parser.fields, "username": INPUT["login"], "password": INPUT["password"]}
        posted = browser.post(action, data=fields, allow_redirects=False, timeout=TIMEOUT)
        out["session_cookie"] = "sid" in browser.cookies
        callback = follow_to_callback(browser, posted, action)
    token = oauth.fetch_token(
        META["token_endpoint"],
        authorization_response=callback,
        state=state,
        code_verifier=verifier,
    )
    claims = parse_id_token(token, nonce, MAX_AGE if mode == "form" else None)
    out["id_sub"] = claims["sub"]
    out["id_aud"] = claims["aud"]
    out["id_email"] = claims.get("email")
    out["scope"] = token.get("scope")
    out["token_type"] = token.get("token_type")
    out["has_refresh"] = isinstance(token.get("refresh_token"), str)
    return out, oauth, token, claims


summary = {
    "issuer": META["issuer"],
    "pkce_methods": META.get("code_challenge_methods_supported"),
}
headless, headless_oauth, headless_token, headless_claims = sign_in("sessionToken")
form, oauth, token, claims = sign_in("form")
summary["session_token"] = headless
summary["form"] = form

refreshed = oauth.refresh_token(META["token_endpoint"], refresh_token=token["refresh_token"])
refreshed_claims = parse_id_token(refreshed, None)
summary["refresh"] = {
    "access_differs": refreshed["access_token"] != token["access_token"],
    "id_sub": refreshed_claims["sub"],
    "has_refresh": isinstance(refreshed.get("refresh_token"), str),
}
info = oauth.get(META["userinfo_endpoint"], timeout=TIMEOUT)
info.raise_for_status()
info = info.json()
summary["userinfo"] = {
    "sub": info["sub"],
    "email": info.get("email"),
    "preferred_username": info.get("preferred_username"),
}
first = headless_oauth.get(META["userinfo_endpoint"], timeout=TIMEOUT).json()
summary["userinfo_session_token"] = {"sub": first["sub"]}
print(json.dumps(summary))
