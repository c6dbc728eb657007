//! Systems as OpenID Connect clients: the system's code is its `client_id`; a confidential
//! client has a secret (256 random bits, printed once, stored as SHA-256), a public one has
//! none and proves itself by PKCE alone; redirect URIs and post-logout redirect URIs are
//! registered and matched exactly; each client's ID tokens are signed with the algorithm
//! it was registered for (`id_token_signed_response_alg`, ES256 unless IT said RS256).

use super::alg::SigningAlg;
use crate::db::Pool;
use sqlx::Row;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    /// The system's code.
    pub id: String,
    pub name: String,
    secret_hash: Option<String>,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    /// What its ID tokens are signed with.
    pub id_token_alg: SigningAlg,
}

impl Client {
    pub fn is_public(&self) -> bool {
        self.secret_hash.is_none()
    }

    /// Whether `secret` is the client's, compared in constant time.
    pub fn secret_matches(&self, secret: &str) -> bool {
        self.secret_hash
            .as_deref()
            .is_some_and(|hash| crate::same_secret(hash, &crate::sha256_hex(secret)))
    }

    pub fn redirects_to(&self, uri: &str) -> bool {
        self.redirect_uris.iter().any(|known| known == uri)
    }

    pub fn redirects_after_logout_to(&self, uri: &str) -> bool {
        self.post_logout_redirect_uris
            .iter()
            .any(|known| known == uri)
    }
}

/// What `thaiid-server system add … --redirect-uri …` registers.
#[derive(Debug, Clone, Default)]
pub struct Registration {
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    /// No secret: PKCE alone (a single-page or native app).
    pub public: bool,
    /// The ID token algorithm; `None` keeps a client's (a new one: ES256).
    pub id_token_alg: Option<SigningAlg>,
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    #[error("no system {0:?}: add it first")]
    NoSystem(String),
    #[error("{0:?} is no OpenID Connect client: register it with system add CODE NAME --redirect-uri URI")]
    NotAClient(String),
    #[error("a client needs at least one --redirect-uri")]
    NoRedirectUri,
    #[error("redirect URI {uri:?}: {why}")]
    BadRedirectUri { uri: String, why: &'static str },
    #[error("{0} is a public client: it has no secret (PKCE alone)")]
    PublicClient(String),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// A redirect URI as registered: absolute http(s), no fragment, no user info.
pub fn check_redirect_uri(uri: &str) -> Result<String, ClientError> {
    let bad = |why| ClientError::BadRedirectUri {
        uri: uri.to_owned(),
        why,
    };
    let parsed = url::Url::parse(uri).map_err(|_| bad("not an absolute URL"))?;
    if !matches!(parsed.scheme(), "https" | "http") {
        return Err(bad("use https (or http inside the administration)"));
    }
    if parsed.fragment().is_some() {
        return Err(bad("a redirect URI has no #fragment"));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(bad("a redirect URI has no user or password"));
    }
    Ok(uri.to_owned())
}

impl Registration {
    /// Whether IT gave what a client needs, before anything is stored.
    pub fn check(&self) -> Result<(), ClientError> {
        if self.redirect_uris.is_empty() {
            return Err(ClientError::NoRedirectUri);
        }
        for uri in self
            .redirect_uris
            .iter()
            .chain(&self.post_logout_redirect_uris)
        {
            check_redirect_uri(uri)?;
        }
        Ok(())
    }
}

/// Makes system `code` a client, or changes its URIs, kind and (when given) ID token
/// algorithm. Answers the new secret when one was made (a new confidential client, or a
/// public one made confidential); an existing secret is kept (`system secret CODE`
/// replaces it).
pub async fn register(
    pool: &Pool,
    code: &str,
    registration: &Registration,
    now: i64,
) -> Result<Option<String>, ClientError> {
    registration.check()?;
    let system = sqlx::query("SELECT code FROM systems WHERE code = $1")
        .bind(code)
        .fetch_optional(pool)
        .await?;
    if system.is_none() {
        return Err(ClientError::NoSystem(code.to_owned()));
    }
    let existing = find(pool, code).await?;
    let secret = match (&existing, registration.public) {
        (_, true) => None,
        (Some(client), false) if !client.is_public() => None,
        _ => Some(super::new_secret()),
    };
    let mut tx = pool.begin().await?;
    if existing.is_none() {
        sqlx::query(
            "INSERT INTO oidc_clients \
             (system_code, secret_hash, created_at, id_token_signed_response_alg) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(code)
        .bind(secret.as_deref().map(crate::sha256_hex))
        .bind(now)
        .bind(registration.id_token_alg.unwrap_or_default().as_str())
        .execute(&mut *tx)
        .await?;
    } else if registration.public || secret.is_some() {
        sqlx::query("UPDATE oidc_clients SET secret_hash = $1 WHERE system_code = $2")
            .bind(secret.as_deref().map(crate::sha256_hex))
            .bind(code)
            .execute(&mut *tx)
            .await?;
    }
    if let (Some(_), Some(alg)) = (&existing, registration.id_token_alg) {
        set_alg(&mut *tx, code, alg).await?;
    }
    sqlx::query("DELETE FROM oidc_redirect_uris WHERE system_code = $1")
        .bind(code)
        .execute(&mut *tx)
        .await?;
    let uris = registration
        .redirect_uris
        .iter()
        .map(|uri| ("login", uri))
        .chain(
            registration
                .post_logout_redirect_uris
                .iter()
                .map(|uri| ("logout", uri)),
        );
    for (kind, uri) in uris {
        sqlx::query(
            "INSERT INTO oidc_redirect_uris (system_code, kind, uri) VALUES ($1, $2, $3) \
             ON CONFLICT (system_code, kind, uri) DO NOTHING",
        )
        .bind(code)
        .bind(kind)
        .bind(uri)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(secret)
}

/// A new secret for confidential client `code`; the old one stops working at once.
pub async fn replace_secret(pool: &Pool, code: &str) -> Result<String, ClientError> {
    let client = find(pool, code)
        .await?
        .ok_or_else(|| ClientError::NotAClient(code.to_owned()))?;
    if client.is_public() {
        return Err(ClientError::PublicClient(code.to_owned()));
    }
    let secret = super::new_secret();
    sqlx::query("UPDATE oidc_clients SET secret_hash = $1 WHERE system_code = $2")
        .bind(crate::sha256_hex(&secret))
        .bind(code)
        .execute(pool)
        .await?;
    Ok(secret)
}

async fn set_alg(
    db: impl sqlx::Executor<'_, Database = sqlx::Any>,
    code: &str,
    alg: SigningAlg,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE oidc_clients SET id_token_signed_response_alg = $1 WHERE system_code = $2",
    )
    .bind(alg.as_str())
    .bind(code)
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

/// Signs client `code`'s ID tokens with `alg` from now on (`system id-token-alg CODE ALG`).
pub async fn set_id_token_alg(pool: &Pool, code: &str, alg: SigningAlg) -> Result<(), ClientError> {
    if set_alg(pool, code, alg).await? == 0 {
        return Err(ClientError::NotAClient(code.to_owned()));
    }
    Ok(())
}

fn stored_alg(row: &sqlx::any::AnyRow) -> Result<SigningAlg, sqlx::Error> {
    let name: String = row.try_get("id_token_signed_response_alg")?;
    SigningAlg::parse(&name).map_err(|unknown| sqlx::Error::Decode(unknown.into()))
}

/// Each client's ID token algorithm, by system code.
pub async fn id_token_algs(
    pool: &Pool,
) -> Result<std::collections::HashMap<String, SigningAlg>, sqlx::Error> {
    sqlx::query("SELECT system_code, id_token_signed_response_alg FROM oidc_clients")
        .fetch_all(pool)
        .await?
        .iter()
        .map(|row| Ok((row.try_get("system_code")?, stored_alg(row)?)))
        .collect()
}

/// The client `client_id`, if it is one.
pub async fn find(pool: &Pool, client_id: &str) -> Result<Option<Client>, sqlx::Error> {
    let Some(row) = sqlx::query(
        "SELECT s.code, s.name, c.secret_hash, c.id_token_signed_response_alg \
         FROM oidc_clients c \
         JOIN systems s ON s.code = c.system_code WHERE c.system_code = $1",
    )
    .bind(client_id)
    .fetch_optional(pool)
    .await?
    else {
        return Ok(None);
    };
    let mut client = Client {
        id: row.try_get("code")?,
        name: row.try_get("name")?,
        secret_hash: row.try_get("secret_hash")?,
        redirect_uris: Vec::new(),
        post_logout_redirect_uris: Vec::new(),
        id_token_alg: stored_alg(&row)?,
    };
    let uris =
        sqlx::query("SELECT kind, uri FROM oidc_redirect_uris WHERE system_code = $1 ORDER BY uri")
            .bind(client_id)
            .fetch_all(pool)
            .await?;
    for row in uris {
        let uri: String = row.try_get("uri")?;
        match row.try_get::<String, _>("kind")?.as_str() {
            "logout" => client.post_logout_redirect_uris.push(uri),
            _ => client.redirect_uris.push(uri),
        }
    }
    Ok(Some(client))
}

/// Whether `username` may use system `code`.
pub async fn permitted(pool: &Pool, username: &str, code: &str) -> Result<bool, sqlx::Error> {
    let row =
        sqlx::query("SELECT 1 AS one FROM permissions WHERE username = $1 AND system_code = $2")
            .bind(username)
            .bind(code)
            .fetch_optional(pool)
            .await?;
    Ok(row.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_uris_are_absolute_without_fragment() {
        assert!(check_redirect_uri("https://hr.example.go.th/oidc/callback").is_ok());
        assert!(check_redirect_uri("http://127.0.0.1:8081/cb?x=1").is_ok());
        for bad in [
            "/callback",
            "https://hr.example.go.th/cb#frag",
            "javascript:alert(1)",
            "https://user:pw@hr.example.go.th/cb",
        ] {
            assert!(check_redirect_uri(bad).is_err(), "{bad}");
        }
    }
}
