#!/usr/bin/env node
// Drives mock-okta with Okta's official Node SDK (npm `@okta/okta-sdk-nodejs` 8.x), unmodified.
//
// Usage: node okta_node_sdk.js ORG_URL API_TOKEN   (the package resolved through NODE_PATH)
//
// Covers every management API area mock-okta implements through the SDK's generated API
// classes: users (create with and without activation, get by id and login, partial update,
// lifecycle, delete, search, 250 more users walked with the SDK's collection, which follows
// `Link: rel="next"`), groups and members, an OIDC app with lifecycle and user and group
// assignments, an authorization server (lifecycle, scopes, claims, a policy and rules with
// replace and lifecycle, keys and rotation) and the System Log (paged, filtered). Prints one
// JSON summary on stdout; any SDK error is printed to stderr and exits non-zero.
'use strict';

const okta = require('@okta/okta-sdk-nodejs');

const KIRO_REDIRECT_URIS = ['kiro://kiro.oauth/callback'].concat(
  [3128, 4649, 6588, 8008, 9091, 49153, 50153, 51153, 52153, 53153]
    .map(port => `http://localhost:${port}/oauth/callback`));
const PASSWORD = 'Tr0ub4dor&3xQ';
const PAGED_USERS = 250;

function userBody(login, firstName, lastName) {
  return {
    profile: { firstName, lastName, email: login, login },
    credentials: { password: { value: PASSWORD } },
  };
}

async function all(collection) {
  const items = [];
  for await (const item of collection) {
    items.push(item);
  }
  return items;
}

async function step(what, call) {
  try {
    return await call();
  } catch (error) {
    console.error(`SDK call failed: ${what}: ${error && error.stack || error}`);
    process.exit(1);
  }
}

async function usersAndGroups(client, summary) {
  const users = client.userApi;
  const ada = await step('create ada', () => users.createUser({
    body: userBody('ada@example.com', 'Ada', 'Lovelace'), activate: true }));
  let bob = await step('create bob', () => users.createUser({
    body: userBody('bob@example.com', 'Bob', 'Staged'), activate: false }));
  summary.ada = { id: ada.id, status: ada.status, login: ada.profile.login };
  summary.bob_created = bob.status;
  await step('activate bob', () => users.activateUser({ userId: bob.id, sendEmail: false }));
  summary.bob_activated = (await step('get bob', () => users.getUser({ userId: bob.id }))).status;
  await step('suspend bob', () => users.suspendUser({ userId: bob.id }));
  summary.bob_suspended = (await step('get bob', () => users.getUser({ userId: bob.id }))).status;
  await step('unsuspend bob', () => users.unsuspendUser({ userId: bob.id }));
  bob = await step('get bob', () => users.getUser({ userId: bob.id }));
  summary.bob_unsuspended = bob.status;
  summary.by_login = (await step('get by login',
    () => users.getUser({ userId: 'ada@example.com' }))).id;
  const updated = await step('update ada', () => users.updateUser({
    userId: ada.id, user: { profile: { nickName: 'Countess' } } }));
  summary.ada_nick = updated.profile.nickName;
  summary.ada_last_after_update = updated.profile.lastName;

  const carl = await step('create carl', () => users.createUser({
    body: userBody('carl@example.com', 'Carl', 'Gone'), activate: true }));
  await step('deactivate carl', () => users.deactivateUser({ userId: carl.id }));
  summary.carl_deactivated = (await step('get carl',
    () => users.getUser({ userId: carl.id }))).status;
  await step('delete carl', () => users.deleteUser({ userId: carl.id }));
  try {
    await users.getUser({ userId: carl.id });
    summary.carl_after_delete = 'still there';
  } catch (error) {
    summary.carl_after_delete = [error.status, error.errorCode];
  }

  const groups = client.groupApi;
  const group = await step('create group', () => groups.createGroup({
    group: { profile: { name: 'Kiro users', description: 'Kiro' } } }));
  const spare = await step('create spare group', () => groups.createGroup({
    group: { profile: { name: 'Spare' } } }));
  await step('add ada', () => groups.assignUserToGroup({ groupId: group.id, userId: ada.id }));
  await step('add bob', () => groups.assignUserToGroup({ groupId: group.id, userId: bob.id }));
  await step('remove bob',
    () => groups.unassignUserFromGroup({ groupId: group.id, userId: bob.id }));
  const members = await step('group users',
    async () => all(await groups.listGroupUsers({ groupId: group.id })));
  const adaGroups = await step('ada groups',
    async () => all(await users.listUserGroups({ userId: ada.id })));
  summary.group = {
    id: group.id,
    name: group.profile.name,
    members: members.map(m => m.id),
    ada_groups: adaGroups.map(g => g.profile.name).sort(),
  };
  await step('delete spare', () => groups.deleteGroup({ groupId: spare.id }));
  summary.groups = (await step('groups', async () => all(await groups.listGroups({}))))
    .map(g => g.profile.name).sort();
  return { ada, bob, group };
}

async function apps(client, summary, bob, group) {
  const api = client.applicationApi;
  const app = await step('create app', () => api.createApplication({
    activate: true,
    application: {
      name: 'oidc_client',
      label: 'Kiro-OIDC',
      signOnMode: 'OPENID_CONNECT',
      credentials: { oauthClient: { token_endpoint_auth_method: 'none' } },
      settings: { oauthClient: {
        redirect_uris: KIRO_REDIRECT_URIS,
        response_types: ['code'],
        grant_types: ['authorization_code', 'refresh_token'],
        application_type: 'native',
      } },
    },
  }));
  summary.app = {
    id: app.id,
    type: app.constructor.name,
    client_id: app.credentials.oauthClient.client_id,
    auth_method: app.credentials.oauthClient.token_endpoint_auth_method,
    redirect_uris: app.settings.oauthClient.redirect_uris,
    status: app.status,
  };
  await step('deactivate app', () => api.deactivateApplication({ appId: app.id }));
  summary.app_deactivated = (await step('get app',
    () => api.getApplication({ appId: app.id }))).status;
  await step('activate app', () => api.activateApplication({ appId: app.id }));
  summary.app_activated = (await step('get app',
    () => api.getApplication({ appId: app.id }))).status;
  const assigned = await step('assign bob',
    () => api.assignUserToApplication({ appId: app.id, appUser: { id: bob.id } }));
  summary.bob_assignment = [assigned.id, assigned.scope];
  const grouped = await step('assign group', () => api.assignGroupToApplication({
    appId: app.id, groupId: group.id, applicationGroupAssignment: {} }));
  summary.group_assignment = grouped.id;
  const appUsers = await step('app users',
    async () => all(await api.listApplicationUsers({ appId: app.id })));
  summary.app_users = appUsers.map(u => [u.id, u.scope]);
  summary.bob_app_user = (await step('get app user',
    () => api.getApplicationUser({ appId: app.id, userId: bob.id }))).scope;
  const appGroups = await step('app groups',
    async () => all(await api.listApplicationGroupAssignments({ appId: app.id })));
  summary.app_groups = appGroups.map(g => g.id);
  await step('unassign bob',
    () => api.unassignUserFromApplication({ appId: app.id, userId: bob.id }));
  const after = await step('app users',
    async () => all(await api.listApplicationUsers({ appId: app.id })));
  summary.app_users_after = after.map(u => [u.id, u.scope]);
  summary.apps = (await step('apps', async () => all(await api.listApplications({}))))
    .map(a => a.id);
  return app;
}

async function authorizationServer(client, summary, app) {
  const api = client.authorizationServerApi;
  const server = await step('create authorization server', () => api.createAuthorizationServer({
    authorizationServer: { name: 'kiro', description: 'Kiro', audiences: ['api://kiro'] } }));
  summary.server = {
    id: server.id,
    issuer: server.issuer,
    issuer_mode: server.issuerMode,
    audiences: server.audiences,
    kid: server.credentials.signing.kid,
  };
  const asId = server.id;
  summary.server_get = (await step('get server',
    () => api.getAuthorizationServer({ authServerId: asId }))).name;
  summary.servers = (await step('servers', async () => all(await api.listAuthorizationServers({}))))
    .map(s => s.id);
  await step('deactivate server', () => api.deactivateAuthorizationServer({ authServerId: asId }));
  summary.server_inactive = (await step('get server',
    () => api.getAuthorizationServer({ authServerId: asId }))).status;
  await step('activate server', () => api.activateAuthorizationServer({ authServerId: asId }));
  summary.server_active = (await step('get server',
    () => api.getAuthorizationServer({ authServerId: asId }))).status;

  for (const name of ['codewhisperer:completions', 'codewhisperer:conversations', 'spare:scope']) {
    const scope = await step(`create scope ${name}`, () => api.createOAuth2Scope({
      authServerId: asId,
      oAuth2Scope: { name, description: name, consent: 'IMPLICIT',
        metadataPublish: 'ALL_CLIENTS', default: false, displayName: name },
    }));
    if (name === 'spare:scope') {
      summary.spare_scope = (await step('get scope',
        () => api.getOAuth2Scope({ authServerId: asId, scopeId: scope.id }))).name;
      await step('delete scope', () => api.deleteOAuth2Scope({ authServerId: asId, scopeId: scope.id }));
    }
  }
  summary.scopes = (await step('scopes',
    async () => all(await api.listOAuth2Scopes({ authServerId: asId })))).map(s => s.name);

  const claim = await step('create claim', () => api.createOAuth2Claim({
    authServerId: asId,
    oAuth2Claim: { name: 'email', status: 'ACTIVE', claimType: 'RESOURCE',
      valueType: 'EXPRESSION', value: 'user.email', alwaysIncludeInToken: true },
  }));
  summary.claim = { name: claim.name, value: claim.value, type: claim.claimType };
  const spare = await step('create spare claim', () => api.createOAuth2Claim({
    authServerId: asId,
    oAuth2Claim: { name: 'spare', status: 'ACTIVE', claimType: 'IDENTITY',
      valueType: 'EXPRESSION', value: 'user.login' },
  }));
  summary.spare_claim = (await step('get claim',
    () => api.getOAuth2Claim({ authServerId: asId, claimId: spare.id }))).value;
  await step('delete claim', () => api.deleteOAuth2Claim({ authServerId: asId, claimId: spare.id }));
  summary.claims = (await step('claims',
    async () => all(await api.listOAuth2Claims({ authServerId: asId })))).map(c => c.name);

  const policyBody = {
    type: 'OAUTH_AUTHORIZATION_POLICY', status: 'ACTIVE', name: 'Kiro',
    description: 'Kiro access', priority: 1,
    conditions: { clients: { include: [app.id] } },
  };
  const policy = await step('create policy',
    () => api.createAuthorizationServerPolicy({ authServerId: asId, policy: policyBody }));
  summary.policy = { id: policy.id, clients: policy.conditions.clients.include };
  const replaced = await step('replace policy', () => api.replaceAuthorizationServerPolicy({
    authServerId: asId, policyId: policy.id,
    policy: { ...policyBody, description: 'Kiro access, replaced' } }));
  summary.policy_description = replaced.description;
  await step('deactivate policy', () => api.deactivateAuthorizationServerPolicy({
    authServerId: asId, policyId: policy.id }));
  summary.policy_inactive = (await step('get policy', () => api.getAuthorizationServerPolicy({
    authServerId: asId, policyId: policy.id }))).status;
  await step('activate policy', () => api.activateAuthorizationServerPolicy({
    authServerId: asId, policyId: policy.id }));
  summary.policies = (await step('policies',
    async () => all(await api.listAuthorizationServerPolicies({ authServerId: asId }))))
    .map(p => [p.id, p.status]);

  const ruleBody = {
    type: 'RESOURCE_ACCESS', name: 'Kiro rule', priority: 1,
    conditions: {
      people: { groups: { include: ['EVERYONE'] } },
      grantTypes: { include: ['authorization_code', 'refresh_token'] },
      scopes: { include: ['offline_access', 'codewhisperer:completions',
        'codewhisperer:conversations'] },
    },
    actions: { token: { accessTokenLifetimeMinutes: 60, refreshTokenLifetimeMinutes: 0,
      refreshTokenWindowMinutes: 10080 } },
  };
  const ids = { authServerId: asId, policyId: policy.id };
  const rule = await step('create rule',
    () => api.createAuthorizationServerPolicyRule({ ...ids, policyRule: ruleBody }));
  summary.rule = {
    id: rule.id,
    name: rule.name,
    access_minutes: rule.actions.token.accessTokenLifetimeMinutes,
    window_minutes: rule.actions.token.refreshTokenWindowMinutes,
    scopes: rule.conditions.scopes.include,
  };
  ruleBody.actions.token.accessTokenLifetimeMinutes = 30;
  const replacedRule = await step('replace rule', () => api.replaceAuthorizationServerPolicyRule({
    ...ids, ruleId: rule.id, policyRule: ruleBody }));
  summary.rule_access_replaced = replacedRule.actions.token.accessTokenLifetimeMinutes;
  await step('deactivate rule',
    () => api.deactivateAuthorizationServerPolicyRule({ ...ids, ruleId: rule.id }));
  summary.rule_inactive = (await step('get rule',
    () => api.getAuthorizationServerPolicyRule({ ...ids, ruleId: rule.id }))).status;
  await step('activate rule',
    () => api.activateAuthorizationServerPolicyRule({ ...ids, ruleId: rule.id }));
  const extra = await step('create extra rule', () => api.createAuthorizationServerPolicyRule({
    ...ids, policyRule: { ...ruleBody, name: 'Extra', priority: 2 } }));
  await step('delete extra rule',
    () => api.deleteAuthorizationServerPolicyRule({ ...ids, ruleId: extra.id }));
  summary.rules = (await step('rules',
    async () => all(await api.listAuthorizationServerPolicyRules(ids)))).map(r => [r.id, r.status]);

  const keys = await step('keys',
    async () => all(await api.listAuthorizationServerKeys({ authServerId: asId })));
  const rotated = await step('rotate', async () => all(await api.rotateAuthorizationServerKeys({
    authServerId: asId, use: { use: 'sig' } })));
  summary.keys_before = keys.map(k => [k.kid, k.status]);
  summary.keys_after = rotated.map(k => [k.kid, k.status]);
}

async function pagingAndLogs(client, summary) {
  const users = client.userApi;
  for (let n = 0; n < PAGED_USERS; n++) {
    const id = String(n).padStart(3, '0');
    await step(`create user ${n}`, () => users.createUser({
      body: userBody(`paged${id}@example.com`, `Paged${id}`, 'User'), activate: true }));
  }
  summary.users_paged = (await step('list users',
    async () => all(await users.listUsers({ limit: 100 })))).map(u => u.id);
  summary.search_lovelace = (await step('search', async () => all(await users.listUsers({
    search: 'profile.lastName eq "Lovelace"' })))).map(u => u.id);
  const logs = client.systemLogApi;
  const events = await step('logs', async () => all(await logs.listLogEvents({ limit: 100 })));
  summary.log_events = events.length;
  summary.first_events = events.slice(0, 2).map(e => e.eventType);
  const added = await step('filtered logs', async () => all(await logs.listLogEvents({
    filter: 'eventType eq "group.user_membership.add"' })));
  summary.membership_events = added.map(e => [e.eventType, e.target[0].id]);
}

async function main(orgUrl, token) {
  const client = new okta.Client({
    orgUrl,
    token,
    maxRetries: 0,
    // The SDK refuses plain-http org URLs unless its testing switch is on.
    testing: { disableHttpsCheck: orgUrl.startsWith('http://') },
  });
  const summary = {};
  const { bob, group } = await usersAndGroups(client, summary);
  const app = await apps(client, summary, bob, group);
  await authorizationServer(client, summary, app);
  await pagingAndLogs(client, summary);
  console.log(JSON.stringify(summary));
}

if (process.argv.length !== 4) {
  console.error('usage: node okta_node_sdk.js ORG_URL API_TOKEN');
  process.exit(2);
}
main(process.argv[2], process.argv[3]).catch(error => {
  console.error(error && error.stack || error);
  process.exit(1);
});
