import { randomBytes } from 'node:crypto';
import { createRemoteJWKSet, decodeJwt, type JWTPayload, jwtVerify, SignJWT } from 'jose';
import { type Principal, TOKEN_SCOPES, type TokenScope } from './principal.ts';

/** Engram's own tokens name this issuer and this audience. */
export const ENGRAM_ISSUER = 'engram';
const ENGRAM_AUDIENCE = 'engram';
/** HMAC with SHA-256: a shared secret every replica holds, so any of them verifies without a lookup. */
const ALGORITHM = 'HS256';

/** Options of {@link createEntityTokens}. */
export interface EntityTokenOptions {
  /**
   * The signing secret (at least 32 bytes). Null makes a random one for this process: its tokens
   * are refused by other replicas and after a restart.
   */
  secret: Uint8Array | null;
  /** Lifetime when the caller names none. @default 900 */
  defaultTtlSeconds: number;
  /** Longest lifetime a caller may ask for. @default 86400 */
  maxTtlSeconds: number;
}

/** Tokens from an identity provider the application already signs its users in with. */
export interface IdentityProviderOptions {
  /** Where the provider publishes its public keys (JWKS); fetched once and cached by jose. */
  jwksUrl: string;
  /** The `iss` claim its tokens carry; tokens from anyone else are refused. */
  issuer: string;
  /** The `aud` claim Engram's tokens must carry (this API's identifier at the provider). */
  audience: string;
  /** The claim that holds the entity's external id. @default sub */
  entityClaim: string;
  /** What its tokens may do. @default READ and WRITE */
  scopes: readonly TokenScope[];
}

/** An issued token and when it stops being accepted. */
export interface IssuedToken {
  token: string;
  expiresAt: Date;
}

/** Signs Engram's entity tokens and verifies them, and identity-provider tokens, into principals. */
export interface EntityTokens {
  /** Whether the secret was made up at start (tokens die with the process). */
  readonly ephemeralSecret: boolean;
  readonly defaultTtlSeconds: number;
  readonly maxTtlSeconds: number;
  issue(entityExternalId: string, ttlSeconds: number, scopes: readonly TokenScope[]): Promise<IssuedToken>;
  /** The principal a JWT stands for; throws when it is not one Engram accepts (any reason). */
  verify(token: string): Promise<Principal>;
}

/** Whether a bearer value has the shape of a compact JWT (three base64url parts). */
export function looksLikeJwt(value: string): boolean {
  return /^[\w-]+\.[\w-]+\.[\w-]+$/.test(value);
}

function scopesOf(payload: JWTPayload): TokenScope[] {
  const raw = typeof payload.scope === 'string' ? payload.scope.split(' ') : [];
  return TOKEN_SCOPES.filter((scope) => raw.includes(scope));
}

function expiry(payload: JWTPayload): Date | null {
  return typeof payload.exp === 'number' ? new Date(payload.exp * 1000) : null;
}

export function createEntityTokens(
  options: EntityTokenOptions,
  identityProvider: IdentityProviderOptions | null,
): EntityTokens {
  const secret = options.secret ?? new Uint8Array(randomBytes(32));
  const jwks = identityProvider ? createRemoteJWKSet(new URL(identityProvider.jwksUrl)) : null;

  async function verifyOwn(token: string): Promise<Principal> {
    const { payload } = await jwtVerify(token, secret, {
      issuer: ENGRAM_ISSUER,
      audience: ENGRAM_AUDIENCE,
      algorithms: [ALGORITHM],
      requiredClaims: ['sub', 'exp'],
    });
    const scopes = scopesOf(payload);
    if (!payload.sub || scopes.length === 0) throw new Error('token names no entity or no scope');
    return {
      kind: 'entity',
      entityExternalId: payload.sub,
      scopes,
      expiresAt: expiry(payload),
      issuer: 'engram',
    };
  }

  async function verifyProvider(token: string, provider: IdentityProviderOptions): Promise<Principal> {
    if (!jwks) throw new Error('no identity provider');
    const { payload } = await jwtVerify(token, jwks, {
      issuer: provider.issuer,
      audience: provider.audience,
      requiredClaims: ['exp'],
    });
    const entity = payload[provider.entityClaim];
    if (typeof entity !== 'string' || !entity) {
      throw new Error(`the token has no ${provider.entityClaim} claim naming the entity`);
    }
    return {
      kind: 'entity',
      entityExternalId: entity,
      scopes: provider.scopes,
      expiresAt: expiry(payload),
      issuer: 'identity-provider',
    };
  }

  return {
    ephemeralSecret: options.secret === null,
    defaultTtlSeconds: options.defaultTtlSeconds,
    maxTtlSeconds: options.maxTtlSeconds,
    async issue(entityExternalId, ttlSeconds, scopes) {
      const now = Math.floor(Date.now() / 1000);
      const token = await new SignJWT({ scope: scopes.join(' ') })
        .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
        .setIssuer(ENGRAM_ISSUER)
        .setAudience(ENGRAM_AUDIENCE)
        .setSubject(entityExternalId)
        .setIssuedAt(now)
        .setExpirationTime(now + ttlSeconds)
        .sign(secret);
      return { token, expiresAt: new Date((now + ttlSeconds) * 1000) };
    },
    verify(token) {
      // The issuer picks the key; it is checked again by jwtVerify against the key it picked.
      const issuer = decodeJwt(token).iss;
      if (issuer === ENGRAM_ISSUER) return verifyOwn(token);
      if (identityProvider && issuer === identityProvider.issuer)
        return verifyProvider(token, identityProvider);
      return Promise.reject(new Error('the token is from an issuer Engram does not accept'));
    },
  };
}
