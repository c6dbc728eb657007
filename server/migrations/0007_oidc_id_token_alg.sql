-- Each OpenID Connect client's ID token algorithm (SPEC §7: ES256, RS256 offered too), by
-- OpenID Connect Dynamic Client Registration's name; clients made before it was offered
-- stay ES256.
ALTER TABLE oidc_clients ADD COLUMN id_token_signed_response_alg TEXT NOT NULL DEFAULT 'ES256';  -- ES256 | RS256
