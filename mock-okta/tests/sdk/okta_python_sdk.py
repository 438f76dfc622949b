#!/usr/bin/env python3
"""Drives mock-okta with Okta's official Python SDK (PyPI `okta`, 2.9.x), unmodified.

Usage: okta_python_sdk.py ORG_URL API_TOKEN

Sets up a Kiro-shaped org through the SDK's own resource clients (users, a group and a
membership, a native OIDC app with user and group assignments, an authorization server with
scopes, a claim, an access policy and a rule), reads it all back, rotates the server's keys,
creates 500 more users and pages through every user with the SDK's pagination (which follows
the `Link: rel="next"` headers), and reads the System Log. Prints one JSON summary on stdout;
any SDK error is printed to stderr and exits non-zero.
"""

import asyncio
import json
import os
import sys

from okta.client import Client as OktaClient

KIRO_REDIRECT_URIS = ["kiro://kiro.oauth/callback"] + [
    f"http://localhost:{port}/oauth/callback"
    for port in (3128, 4649, 6588, 8008, 9091, 49153, 50153, 51153, 52153, 53153)
]
PASSWORD = "Tr0ub4dor&3xQ"
PAGED_USERS = 500


def check(result, what):
    """The SDK answers (value, response, error) or (response, error); fail on an error."""
    error = result[-1]
    if error is not None:
        print(f"SDK call failed: {what}: {error}", file=sys.stderr)
        sys.exit(1)
    return result[0]


def user_body(login, first, last):
    return {
        "profile": {"firstName": first, "lastName": last, "email": login, "login": login},
        "credentials": {"password": {"value": PASSWORD}},
    }


async def collect(first_call, what):
    """Every item of a paged list, following the SDK's `has_next()`/`next()`; with page count."""
    items, response, error = await first_call
    if error is not None:
        print(f"SDK call failed: {what}: {error}", file=sys.stderr)
        sys.exit(1)
    items = list(items)
    pages = 1
    while response.has_next():
        page, error = await response.next()
        if error is not None:
            print(f"SDK call failed: {what} (page {pages + 1}): {error}", file=sys.stderr)
            sys.exit(1)
        items.extend(page)
        pages += 1
    return items, pages


async def main(org_url, token):
    if org_url.startswith("http://"):
        # The SDK refuses plain-http org URLs unless its testing switch is on; 2.9.x reads that
        # switch (`testing.testingDisableHttpsCheck`) from the YAML files or the environment
        # only, not from the client config dict.
        os.environ["OKTA_TESTING_TESTINGDISABLEHTTPSCHECK"] = "true"
    config = {
        "orgUrl": org_url,
        "token": token,
        "rateLimit": {"maxRetries": 0},
    }
    summary = {}
    async with OktaClient(config) as client:
        # Users: one ACTIVE with a password, one STAGED, then lifecycle through the SDK.
        ada = check(await client.create_user(user_body("ada@example.com", "Ada", "Lovelace"),
                                             {"activate": "true"}), "create ada")
        bob = check(await client.create_user(user_body("bob@example.com", "Bob", "Staged"),
                                             {"activate": "false"}), "create bob")
        summary["ada"] = {"id": ada.id, "status": str(ada.status.value),
                          "login": ada.profile.login, "created": str(ada.created)}
        summary["bob_status_created"] = str(bob.status.value)
        check(await client.activate_user(bob.id, {"sendEmail": "false"}), "activate bob")
        bob = check(await client.get_user(bob.id), "get bob")
        summary["bob_status_activated"] = str(bob.status.value)
        check(await client.suspend_user(bob.id), "suspend bob")
        check(await client.unsuspend_user(bob.id), "unsuspend bob")
        by_login = check(await client.get_user("ada@example.com"), "get ada by login")
        summary["get_by_login_id"] = by_login.id

        # A group with ada in it.
        group = check(await client.create_group({"profile": {"name": "Kiro users",
                                                             "description": "Kiro"}}),
                      "create group")
        check(await client.add_user_to_group(group.id, ada.id), "add member")
        members, _ = await collect(client.list_group_users(group.id), "group users")
        summary["group"] = {"id": group.id, "name": group.profile.name,
                            "members": [m.id for m in members]}

        # The Kiro native OIDC app; ada directly, the group too.
        app = check(await client.create_application({
            "name": "oidc_client",
            "label": "Kiro-OIDC",
            "signOnMode": "OPENID_CONNECT",
            "credentials": {"oauthClient": {"token_endpoint_auth_method": "none"}},
            "settings": {"oauthClient": {
                "redirect_uris": KIRO_REDIRECT_URIS,
                "response_types": ["code"],
                "grant_types": ["authorization_code", "refresh_token"],
                "application_type": "native",
                "refresh_token": {"rotation_type": "ROTATE", "leeway": 30},
            }},
        }, {"activate": "true"}), "create app")
        summary["app"] = {
            "id": app.id,
            "type": type(app).__name__,
            "client_id": app.credentials.oauth_client.client_id,
            "auth_method": str(app.credentials.oauth_client.token_endpoint_auth_method.value),
            "redirect_uris": app.settings.oauth_client.redirect_uris,
            "status": app.status,
        }
        check(await client.assign_user_to_application(app.id, {"id": bob.id, "scope": "USER"}),
              "assign bob")
        check(await client.create_application_group_assignment(app.id, group.id, {}),
              "assign group")
        app_users, _ = await collect(client.list_application_users(app.id), "app users")
        summary["app_users"] = [[u.id, u.scope] for u in app_users]
        app_groups, _ = await collect(client.list_application_group_assignments(app.id),
                                      "app groups")
        summary["app_groups"] = [g.id for g in app_groups]
        apps, _ = await collect(client.list_applications(), "apps")
        summary["apps"] = [a.id for a in apps]

        # The authorization server, its scopes, a claim, a policy and a rule.
        server = check(await client.create_authorization_server({
            "name": "kiro", "description": "Kiro", "audiences": ["api://kiro"],
        }), "create authorization server")
        summary["server"] = {"id": server.id, "issuer": server.issuer,
                             "issuer_mode": str(server.issuer_mode),
                             "kid": server.credentials.signing.kid}
        for name in ("codewhisperer:completions", "codewhisperer:conversations"):
            check(await client.create_o_auth_2_scope(server.id, {
                "name": name, "description": name, "consent": "IMPLICIT",
                "metadataPublish": "ALL_CLIENTS", "default": False, "displayName": name,
            }), f"create scope {name}")
        scopes, _ = await collect(client.list_o_auth_2_scopes(server.id), "scopes")
        summary["scopes"] = [s.name for s in scopes]
        check(await client.create_o_auth_2_claim(server.id, {
            "name": "email", "status": "ACTIVE", "claimType": "RESOURCE",
            "valueType": "EXPRESSION", "value": "user.email", "alwaysIncludeInToken": True,
        }), "create claim")
        claims, _ = await collect(client.list_o_auth_2_claims(server.id), "claims")
        summary["claims"] = [c.name for c in claims]
        policy = check(await client.create_authorization_server_policy(server.id, {
            "type": "OAUTH_AUTHORIZATION_POLICY", "status": "ACTIVE", "name": "Kiro",
            "description": "Kiro access", "priority": 1,
            "conditions": {"clients": {"include": [app.id]}},
        }), "create policy")
        rule = check(await client.create_authorization_server_policy_rule(server.id, policy.id, {
            "type": "RESOURCE_ACCESS", "name": "Kiro rule", "priority": 1,
            "conditions": {
                "people": {"groups": {"include": ["EVERYONE"]}},
                "grantTypes": {"include": ["authorization_code", "refresh_token"]},
                "scopes": {"include": ["openid", "offline_access",
                                       "codewhisperer:completions",
                                       "codewhisperer:conversations"]},
            },
            "actions": {"token": {"accessTokenLifetimeMinutes": 60,
                                  "refreshTokenLifetimeMinutes": 0,
                                  "refreshTokenWindowMinutes": 10080}},
        }), "create rule")
        summary["rule"] = {"id": rule.id,
                           "access_minutes": rule.actions.token.access_token_lifetime_minutes,
                           "window_minutes": rule.actions.token.refresh_token_window_minutes}
        policies, _ = await collect(client.list_authorization_server_policies(server.id),
                                    "policies")
        summary["policies"] = [[p.id, p.conditions.clients.include] for p in policies]
        rules, _ = await collect(
            client.list_authorization_server_policy_rules(server.id, policy.id), "rules")
        summary["rules"] = [r.id for r in rules]

        # Keys and rotation.
        keys = check(await client.list_authorization_server_keys(server.id), "keys")
        rotated = check(await client.rotate_authorization_server_keys(server.id, {"use": "sig"}),
                        "rotate keys")
        summary["keys_before"] = [[k.kid, k.status] for k in keys]
        summary["keys_after"] = [[k.kid, k.status] for k in rotated]

        # 500 more users, then every user through the SDK's pagination.
        for n in range(PAGED_USERS):
            check(await client.create_user(
                user_body(f"paged{n:03}@example.com", f"Paged{n:03}", "User"),
                {"activate": "true"}), f"create user {n}")
        users, pages = await collect(client.list_users({"limit": 200}), "list users")
        summary["users_paged"] = [u.id for u in users]
        summary["user_pages"] = pages
        engineers, _ = await collect(
            client.list_users({"search": 'profile.lastName eq "Lovelace"'}), "search users")
        summary["search_lovelace"] = [u.id for u in engineers]

        # The System Log, a page at a time (the SDK follows the links).
        events, log_pages = await collect(client.get_logs({"limit": 100}), "logs")
        summary["log_events"] = len(events)
        summary["log_pages"] = log_pages
        summary["first_events"] = [e.event_type for e in events[:4]]

    print(json.dumps(summary))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    asyncio.run(main(sys.argv[1], sys.argv[2]))
