#!/usr/bin/env python3
"""Drives mock-okta with Okta's official Python SDK 3.x (PyPI `okta`, 3.4.6), unmodified.

Usage: okta3_python_sdk.py ORG_URL API_TOKEN

Covers every management API area mock-okta implements, through the SDK's generated API
methods and models (the SDK sends `Authorization: SSWS{token}` and maps response bodies by
status code, so both must be what Okta does):

- users: create with and without activation, get by id and by login, partial update,
  lifecycle (activate, suspend, unsuspend, deactivate), delete, search, and 250 more users
  paged with `limit` + the `after` cursor of the `Link: rel="next"` header;
- groups: create, add and remove members, list members and a user's groups, delete;
- an OIDC app: create, deactivate/activate, user and group assignments, list, unassign;
- an authorization server: create, get, list, deactivate/activate, scopes, claims, a policy
  (get, replace, deactivate/activate) and rules (get, replace, deactivate/activate, delete),
  keys and rotation;
- the System Log: `filter`, `since`, paging.

Prints one JSON summary on stdout; an SDK error or a missing body exits non-zero with the call
named on stderr.
"""

import asyncio
import json
import os
import sys

from okta.client import Client as OktaClient
from okta.models import OpenIdConnectApplication
from okta.pagination import PaginationHelper

KIRO_REDIRECT_URIS = ["kiro://kiro.oauth/callback"] + [
    f"http://localhost:{port}/oauth/callback"
    for port in (3128, 4649, 6588, 8008, 9091, 49153, 50153, 51153, 52153, 53153)
]
PASSWORD = "Tr0ub4dor&3xQ"
PAGED_USERS = 250


def fail(what, detail):
    print(f"SDK call failed: {what}: {detail}", file=sys.stderr)
    sys.exit(1)


def value(result, what):
    """A call answering (value, response, error): the value, which must be there."""
    data, response, error = result
    if error is not None:
        fail(what, error)
    if data is None:
        fail(what, f"no body for the caller (HTTP {getattr(response, 'status_code', '?')})")
    return data


def status(result, what):
    """A call answering (response, error) or (None, response, error): the HTTP status."""
    error = result[-1]
    if error is not None:
        fail(what, error)
    return result[-2].status_code


async def all_pages(call, what, **params):
    """Every item of a list, a page at a time, following the `after` cursor of `Link`."""
    items, pages, after = [], 0, None
    while True:
        page, response, error = await call(**params, **({"after": after} if after else {}))
        if error is not None:
            fail(f"{what} (page {pages + 1})", error)
        items.extend(page or [])
        pages += 1
        after = PaginationHelper.extract_next_cursor(response.headers or {})
        if after is None:
            return items, pages
        if pages > 100:
            fail(what, "more than 100 pages")


def user_body(login, first, last):
    return {
        "profile": {"firstName": first, "lastName": last, "email": login, "login": login},
        "credentials": {"password": {"value": PASSWORD}},
    }


def enum(v):
    return getattr(v, "value", v)


def group_name(group):
    """A group's name: its profile is an anyOf of Okta and AD group profiles."""
    return group.profile.actual_instance.name


async def users_and_groups(client, summary):
    ada = value(await client.create_user(user_body("ada@example.com", "Ada", "Lovelace"),
                                         activate=True), "create ada")
    bob = value(await client.create_user(user_body("bob@example.com", "Bob", "Staged"),
                                         activate=False), "create bob")
    summary["ada"] = {"id": ada.id, "status": enum(ada.status), "login": ada.profile.login}
    summary["bob_created"] = enum(bob.status)
    value(await client.activate_user(bob.id, send_email=False), "activate bob")
    summary["bob_activated"] = enum(value(await client.get_user(bob.id), "get bob").status)
    status(await client.suspend_user(bob.id), "suspend bob")
    summary["bob_suspended"] = enum(value(await client.get_user(bob.id), "get bob").status)
    status(await client.unsuspend_user(bob.id), "unsuspend bob")
    summary["bob_unsuspended"] = enum(value(await client.get_user(bob.id), "get bob").status)
    summary["by_login"] = value(await client.get_user("ada@example.com"), "get by login").id
    updated = value(await client.update_user(ada.id, {"profile": {"nickName": "Countess"}}),
                    "update ada")
    summary["ada_nick"] = updated.profile.nick_name
    summary["ada_last_after_update"] = updated.profile.last_name

    carl = value(await client.create_user(user_body("carl@example.com", "Carl", "Gone"),
                                          activate=True), "create carl")
    status(await client.deactivate_user(carl.id), "deactivate carl")
    summary["carl_deactivated"] = enum(value(await client.get_user(carl.id), "get carl").status)
    summary["carl_delete_status"] = status(await client.delete_user(carl.id), "delete carl")
    missing = await client.get_user(carl.id)
    summary["carl_after_delete"] = getattr(missing[-1], "error_code", None)

    group = value(await client.add_group({"profile": {"name": "Kiro users",
                                                      "description": "Kiro"}}), "create group")
    spare = value(await client.add_group({"profile": {"name": "Spare"}}), "create spare group")
    summary["group_member_add"] = status(await client.assign_user_to_group(group.id, ada.id),
                                         "add ada")
    status(await client.assign_user_to_group(group.id, bob.id), "add bob")
    status(await client.unassign_user_from_group(group.id, bob.id), "remove bob")
    members, _ = await all_pages(client.list_group_users, "group users", group_id=group.id)
    ada_groups = value(await client.list_user_groups(ada.id), "ada's groups")
    summary["group"] = {"id": group.id, "name": group_name(group),
                        "members": [m.id for m in members],
                        "ada_groups": sorted(group_name(g) for g in ada_groups)}
    summary["spare_delete"] = status(await client.delete_group(spare.id), "delete spare")
    groups, _ = await all_pages(client.list_groups, "groups")
    summary["groups"] = sorted(group_name(g) for g in groups)
    return ada, bob, group


async def apps(client, summary, bob, group):
    app = value(await client.create_application(OpenIdConnectApplication.from_dict({
        "name": "oidc_client",
        "label": "Kiro-OIDC",
        "signOnMode": "OPENID_CONNECT",
        "credentials": {"oauthClient": {"token_endpoint_auth_method": "none"}},
        "settings": {"oauthClient": {
            "redirect_uris": KIRO_REDIRECT_URIS,
            "response_types": ["code"],
            "grant_types": ["authorization_code", "refresh_token"],
            "application_type": "native",
        }},
    }), activate=True), "create app")
    summary["app"] = {
        "id": app.id,
        "type": type(app).__name__,
        "client_id": app.credentials.oauth_client.client_id,
        "auth_method": enum(app.credentials.oauth_client.token_endpoint_auth_method),
        "redirect_uris": app.settings.oauth_client.redirect_uris,
        "status": enum(app.status),
    }
    status(await client.deactivate_application(app.id), "deactivate app")
    summary["app_deactivated"] = enum(value(await client.get_application(app.id),
                                            "get app").status)
    status(await client.activate_application(app.id), "activate app")
    summary["app_activated"] = enum(value(await client.get_application(app.id),
                                          "get app").status)
    assigned = value(await client.assign_user_to_application(app.id, {"id": bob.id}),
                     "assign bob")
    summary["bob_assignment"] = [assigned.id, assigned.scope]
    grouped = value(await client.assign_group_to_application(app.id, group.id, {}),
                    "assign group")
    summary["group_assignment"] = grouped.id
    users, _ = await all_pages(client.list_application_users, "app users", app_id=app.id)
    summary["app_users"] = [[u.id, u.scope] for u in users]
    summary["bob_app_user"] = value(await client.get_application_user(app.id, bob.id),
                                    "get app user").scope
    groups, _ = await all_pages(client.list_application_group_assignments, "app groups",
                                app_id=app.id)
    summary["app_groups"] = [g.id for g in groups]
    summary["unassign_bob"] = status(await client.unassign_user_from_application(app.id, bob.id),
                                     "unassign bob")
    users, _ = await all_pages(client.list_application_users, "app users", app_id=app.id)
    summary["app_users_after"] = [[u.id, u.scope] for u in users]
    listed, _ = await all_pages(client.list_applications, "apps")
    summary["apps"] = [a.id for a in listed]
    return app


async def authorization_server(client, summary, app):
    server = value(await client.create_authorization_server({
        "name": "kiro", "description": "Kiro", "audiences": ["api://kiro"],
    }), "create authorization server")
    summary["server"] = {"id": server.id, "issuer": server.issuer,
                         "issuer_mode": enum(server.issuer_mode),
                         "audiences": server.audiences,
                         "kid": server.credentials.signing.kid}
    summary["server_get"] = value(await client.get_authorization_server(server.id),
                                  "get server").name
    servers, _ = await all_pages(client.list_authorization_servers, "servers")
    summary["servers"] = [s.id for s in servers]
    summary["server_deactivate"] = status(
        await client.deactivate_authorization_server(server.id), "deactivate server")
    summary["server_inactive"] = enum(value(await client.get_authorization_server(server.id),
                                            "get server").status)
    status(await client.activate_authorization_server(server.id), "activate server")
    summary["server_active"] = enum(value(await client.get_authorization_server(server.id),
                                          "get server").status)

    for name in ("codewhisperer:completions", "codewhisperer:conversations", "spare:scope"):
        scope = value(await client.create_o_auth2_scope(server.id, {
            "name": name, "description": name, "consent": "IMPLICIT",
            "metadataPublish": "ALL_CLIENTS", "default": False, "displayName": name,
        }), f"create scope {name}")
        if name == "spare:scope":
            summary["spare_scope"] = value(await client.get_o_auth2_scope(server.id, scope.id),
                                           "get scope").name
            summary["spare_scope_delete"] = status(
                await client.delete_o_auth2_scope(server.id, scope.id), "delete scope")
    scopes, _ = await all_pages(client.list_o_auth2_scopes, "scopes", auth_server_id=server.id)
    summary["scopes"] = [s.name for s in scopes]

    claim = value(await client.create_o_auth2_claim(server.id, {
        "name": "email", "status": "ACTIVE", "claimType": "RESOURCE",
        "valueType": "EXPRESSION", "value": "user.email", "alwaysIncludeInToken": True,
    }), "create claim")
    summary["claim"] = {"name": claim.name, "value": claim.value,
                        "type": enum(claim.claim_type)}
    spare = value(await client.create_o_auth2_claim(server.id, {
        "name": "spare", "status": "ACTIVE", "claimType": "IDENTITY",
        "valueType": "EXPRESSION", "value": "user.login",
    }), "create spare claim")
    summary["spare_claim"] = value(await client.get_o_auth2_claim(server.id, spare.id),
                                   "get claim").value
    summary["spare_claim_delete"] = status(await client.delete_o_auth2_claim(server.id, spare.id),
                                           "delete claim")
    claims = value(await client.list_o_auth2_claims(server.id), "claims")
    summary["claims"] = [c.name for c in claims]

    policy = value(await client.create_authorization_server_policy(server.id, {
        "type": "OAUTH_AUTHORIZATION_POLICY", "status": "ACTIVE", "name": "Kiro",
        "description": "Kiro access", "priority": 1,
        "conditions": {"clients": {"include": [app.id]}},
    }), "create policy")
    summary["policy"] = {"id": policy.id, "clients": policy.conditions.clients.include}
    replaced = value(await client.replace_authorization_server_policy(server.id, policy.id, {
        "type": "OAUTH_AUTHORIZATION_POLICY", "status": "ACTIVE", "name": "Kiro",
        "description": "Kiro access, replaced", "priority": 1,
        "conditions": {"clients": {"include": [app.id]}},
    }), "replace policy")
    summary["policy_description"] = replaced.description
    status(await client.deactivate_authorization_server_policy(server.id, policy.id),
           "deactivate policy")
    summary["policy_inactive"] = enum(value(
        await client.get_authorization_server_policy(server.id, policy.id), "get policy").status)
    status(await client.activate_authorization_server_policy(server.id, policy.id),
           "activate policy")
    policies = value(await client.list_authorization_server_policies(server.id), "policies")
    summary["policies"] = [[p.id, enum(p.status)] for p in policies]

    rule_body = {
        "type": "RESOURCE_ACCESS", "name": "Kiro rule", "priority": 1,
        "conditions": {
            "people": {"groups": {"include": ["EVERYONE"]}},
            "grantTypes": {"include": ["authorization_code", "refresh_token"]},
            "scopes": {"include": ["offline_access", "codewhisperer:completions",
                                   "codewhisperer:conversations"]},
        },
        "actions": {"token": {"accessTokenLifetimeMinutes": 60,
                              "refreshTokenLifetimeMinutes": 0,
                              "refreshTokenWindowMinutes": 10080}},
    }
    rule = value(await client.create_authorization_server_policy_rule(
        server.id, policy.id, rule_body), "create rule")
    summary["rule"] = {"id": rule.id, "name": rule.name,
                       "access_minutes": rule.actions.token.access_token_lifetime_minutes,
                       "window_minutes": rule.actions.token.refresh_token_window_minutes,
                       "scopes": rule.conditions.scopes.include}
    rule_body["actions"]["token"]["accessTokenLifetimeMinutes"] = 30
    replaced = value(await client.replace_authorization_server_policy_rule(
        server.id, policy.id, rule.id, rule_body), "replace rule")
    summary["rule_access_replaced"] = replaced.actions.token.access_token_lifetime_minutes
    status(await client.deactivate_authorization_server_policy_rule(server.id, policy.id,
                                                                    rule.id), "deactivate rule")
    summary["rule_inactive"] = enum(value(await client.get_authorization_server_policy_rule(
        server.id, policy.id, rule.id), "get rule").status)
    status(await client.activate_authorization_server_policy_rule(server.id, policy.id, rule.id),
           "activate rule")
    extra = value(await client.create_authorization_server_policy_rule(server.id, policy.id, {
        **rule_body, "name": "Extra", "priority": 2}), "create extra rule")
    summary["extra_rule_delete"] = status(await client.delete_authorization_server_policy_rule(
        server.id, policy.id, extra.id), "delete extra rule")
    rules = value(await client.list_authorization_server_policy_rules(server.id, policy.id),
                  "rules")
    summary["rules"] = [[r.id, enum(r.status)] for r in rules]

    keys = value(await client.list_authorization_server_keys(server.id), "keys")
    rotated = value(await client.rotate_authorization_server_keys(server.id, {"use": "sig"}), "rotate")
    summary["keys_before"] = [[k.kid, enum(k.status)] for k in keys]
    summary["keys_after"] = [[k.kid, enum(k.status)] for k in rotated]


async def paging_and_logs(client, summary):
    for n in range(PAGED_USERS):
        value(await client.create_user(user_body(f"paged{n:03}@example.com", f"Paged{n:03}",
                                                 "User"), activate=True), f"create user {n}")
    users, pages = await all_pages(client.list_users, "list users", limit=100)
    summary["users_paged"] = [u.id for u in users]
    summary["user_pages"] = pages
    found = value(await client.list_users(search='profile.lastName eq "Lovelace"'), "search")
    summary["search_lovelace"] = [u.id for u in found]

    events, pages = await all_pages(client.list_log_events, "logs", limit=100)
    summary["log_events"] = len(events)
    summary["log_pages"] = pages
    summary["first_events"] = [e.event_type for e in events[:2]]
    created, _ = await all_pages(client.list_log_events, "filtered logs",
                                 filter='eventType eq "group.user_membership.add"')
    summary["membership_events"] = [[e.event_type, e.target[0].id] for e in created]


async def main(org_url, token):
    if org_url.startswith("http://"):
        # The SDK refuses plain-http org URLs unless its testing switch is on.
        os.environ["OKTA_TESTING_TESTINGDISABLEHTTPSCHECK"] = "true"
    config = {"orgUrl": org_url, "token": token, "rateLimit": {"maxRetries": 0}}
    summary = {}
    async with OktaClient(config) as client:
        ada, bob, group = await users_and_groups(client, summary)
        app = await apps(client, summary, bob, group)
        await authorization_server(client, summary, app)
        await paging_and_logs(client, summary)
    print(json.dumps(summary))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    asyncio.run(main(sys.argv[1], sys.argv[2]))
