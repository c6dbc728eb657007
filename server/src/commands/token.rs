//! `thaiid-server token create --uses N --ttl 7d`: prints the token alone.

use super::Outcome;
use crate::db::Pool;
use crate::tokens;

pub async fn create(pool: &Pool, uses: i64, ttl: i64, now: i64) -> Outcome {
    if uses < 1 {
        return Err("--uses must be at least 1".into());
    }
    println!("{}", tokens::create(pool, uses, ttl, now).await?);
    Ok(())
}
