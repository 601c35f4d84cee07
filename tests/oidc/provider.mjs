// A real local OpenID Connect provider for the front door's SSO tests (node oidc-provider).
// Started by tests/conftest.py (oidc_provider fixture); never part of `make run`.
//
//   node tests/oidc/provider.mjs            settings from the environment:
//   OIDC_PORT        port on 127.0.0.1
//   OIDC_KEY_ID      the signing key's id: restart with another id to rotate the key
//   OIDC_CLIENTS     JSON list of oidc-provider client metadata
//   OIDC_ACCOUNTS    JSON {accountId: {claims}}; the dev sign-in page accepts any of these ids
//
// The ID token carries the `roles` claim (as Entra ID app roles do). The client
// "short-lived" gets ID tokens that expire after 2 seconds (the expired-token test).
import Provider from 'oidc-provider';
import { generateKeyPair, exportJWK } from 'jose';

const port = Number(process.env.OIDC_PORT || 4400);
const issuer = `http://127.0.0.1:${port}`;
const clients = JSON.parse(process.env.OIDC_CLIENTS || '[]');
const accounts = JSON.parse(process.env.OIDC_ACCOUNTS || '{}');

const { privateKey } = await generateKeyPair('RS256', { extractable: true });
const jwk = { ...(await exportJWK(privateKey)), kid: process.env.OIDC_KEY_ID || 'key-1', alg: 'RS256', use: 'sig' };

const provider = new Provider(issuer, {
  clients,
  jwks: { keys: [jwk] },
  async findAccount(ctx, id) {
    if (!accounts[id]) return undefined;
    return { accountId: id, async claims() { return { sub: id, ...accounts[id] }; } };
  },
  claims: { openid: ['sub'], profile: ['name', 'preferred_username'], email: ['email'], roles: ['roles'] },
  scopes: ['openid', 'profile', 'email', 'roles', 'offline_access'],
  conformIdTokenClaims: false, // the requested scopes' claims go into the ID token itself
  features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
  pkce: { required: () => true },
  ttl: {
    IdToken: (ctx, token, client) => (client && client.clientId === 'short-lived' ? 2 : 3600),
    AccessToken: 600, AuthorizationCode: 60, Session: 3600, Interaction: 600, Grant: 3600,
  },
  cookies: { keys: ['frontline-test-only'] },
});
provider.proxy = false;
provider.listen(port, '127.0.0.1', () => {
  console.log(`oidc-provider ready at ${issuer} (key ${jwk.kid})`);
});
