//! `thaiid-server apikey create NAME`: prints the key alone.

use super::Outcome;
use crate::api_keys;
use crate::db::Pool;

pub async fn create(pool: &Pool, name: &str, now: i64) -> Outcome {
    println!("{}", api_keys::create(pool, name, now).await?);
    Ok(())
}
