import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { ForbiddenError, UnauthorizedError } from './errors';

export type Role = 'admin' | 'marketer';

export interface Principal {
  keyId: string;
  role: Role;
}

/** Keys and tokens are stored as SHA-256: a leaked table does not leak a working key. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** A fresh secret with a readable prefix, e.g. `ll_admin_…`. */
export function newSecret(prefix: string): string {
  return `${prefix}_${randomBytes(24).toString('base64url')}`;
}

export function sameSecret(a: string, b: string): boolean {
  const ha = Buffer.from(hashSecret(a), 'hex');
  const hb = Buffer.from(hashSecret(b), 'hex');
  return timingSafeEqual(ha, hb);
}

export type ResolvePrincipal = (presentedKey: string) => Promise<Principal | undefined>;

/** Reads `Authorization: Bearer <key>`; 401 unless it resolves to a live key. */
export function authenticate(resolve: ResolvePrincipal): RequestHandler {
  return async (req, _res, next) => {
    const header = req.get('authorization') ?? '';
    const match = /^Bearer\s+(\S{1,200})\s*$/i.exec(header);
    if (!match?.[1]) return next(new UnauthorizedError());
    const principal = await resolve(match[1]);
    if (!principal) return next(new UnauthorizedError('API key is not valid or was revoked'));
    req.principal = principal;
    next();
  };
}

/** Marketers read; only admins change things. */
export function requireRole(...roles: Role[]): RequestHandler {
  return (req, _res, next) => {
    const role = req.principal?.role;
    if (!role) return next(new UnauthorizedError());
    if (!roles.includes(role)) {
      return next(
        new ForbiddenError(`this action needs the ${roles.join(' or ')} role`, 'insufficient_role'),
      );
    }
    next();
  };
}
