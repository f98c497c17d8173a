/**
 * Operator-mode NATS credentials made here (no `nsc`, no @nats-io/jwt): an operator, an account it
 * signs and a user the account signs, as JWTs signed with @nats-io/nkeys, and the user's `.creds`
 * text as `nsc generate creds` writes it. For the test kit's `startNatsServer({ operator })`.
 */
import { randomBytes } from 'node:crypto';
import { nkeys } from '@nats-io/transport-node';

type KeyPair = ReturnType<typeof nkeys.createUser>;

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A JWT of `claims` signed by `signer` (nats-server's `ed25519-nkey` algorithm). */
function signJwt(signer: KeyPair, claims: Record<string, unknown>): string {
  const head = b64({ typ: 'JWT', alg: 'ed25519-nkey' });
  const body = b64({ jti: randomBytes(16).toString('hex').toUpperCase(), iat: Math.floor(Date.now() / 1000), iss: signer.getPublicKey(), ...claims });
  return `${head}.${body}.${Buffer.from(signer.sign(new TextEncoder().encode(`${head}.${body}`))).toString('base64url')}`;
}

export interface OperatorCreds {
  /** For startNatsServer's `operator` option. */
  server: { jwt: string; accounts: Record<string, string> };
  /** A user of the account: its `.creds` text. */
  creds: string;
  /** The user's seed alone (what an NKey-only login would send). */
  seed: string;
  /** A user signed by an account the server does not know: refused. */
  strangerCreds: string;
  /** The same user's `.creds` text with a new JWT, expiring in `expiresInS` seconds (none: never), as a rotation re-issues it. */
  issue(expiresInS?: number): string;
}

const NO_LIMITS = { subs: -1, conn: -1, leaf: -1, imports: -1, exports: -1, data: -1, payload: -1, wildcards: true };

function userCreds(account: KeyPair, name: string, user: KeyPair = nkeys.createUser(), expiresInS?: number): { creds: string; seed: string } {
  const exp = expiresInS === undefined ? {} : { exp: Math.floor(Date.now() / 1000) + expiresInS };
  const jwt = signJwt(account, { sub: user.getPublicKey(), name, ...exp, nats: { type: 'user', version: 2, pub: {}, sub: {}, subs: -1, data: -1, payload: -1 } });
  const seed = new TextDecoder().decode(user.getSeed());
  return {
    seed,
    creds: `-----BEGIN NATS USER JWT-----\n${jwt}\n------END NATS USER JWT------\n\n************************* IMPORTANT *************************\nNKEY Seed printed below can be used to sign and prove identity.\n\n-----BEGIN USER NKEY SEED-----\n${seed}\n------END USER NKEY SEED------\n`,
  };
}

export function makeOperatorCreds(): OperatorCreds {
  const operator = nkeys.createOperator();
  const account = nkeys.createAccount();
  const opJwt = signJwt(operator, { sub: operator.getPublicKey(), name: 'fsbus-test-op', nats: { type: 'operator', version: 2 } });
  const accJwt = signJwt(operator, { sub: account.getPublicKey(), name: 'fsbus', nats: { type: 'account', version: 2, limits: NO_LIMITS } });
  const user = nkeys.createUser();
  const { creds, seed } = userCreds(account, 'fsbus', user);
  return {
    server: { jwt: opJwt, accounts: { [account.getPublicKey()]: accJwt } },
    creds,
    seed,
    strangerCreds: userCreds(nkeys.createAccount(), 'stranger').creds,
    issue: (expiresInS) => userCreds(account, 'fsbus', user, expiresInS).creds,
  };
}
