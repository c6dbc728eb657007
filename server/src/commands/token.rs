//! `thaiid-server token create --uses N --ttl 7d`: prints the token alone.

use super::Outcome;
use crate::audit::CLI;
use crate::db::Pool;
use crate::tokens;

pub async fn create(pool: &Pool, uses: i64, ttl: i64, now: i64) -> Outcome {
    println!("{}", tokens::create(pool, uses, ttl, CLI, now).await?);
    Ok(())
}
