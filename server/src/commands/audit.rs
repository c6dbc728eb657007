//! `thaiid-server audit [--limit N] | --alerts`: the audit log, and what needs a look.
//! A row: time, method, outcome, user, citizen ID, card, agent, address, system, amr.

use super::Outcome;
use crate::alerts;
use crate::audit;
use crate::cli::AuditArgs;
use crate::db::Pool;
use crate::text::printable;

pub async fn run(pool: &Pool, args: AuditArgs, now: i64) -> Outcome {
    if args.alerts {
        let rows = audit::since(pool, now - args.since).await?;
        let thresholds = alerts::Thresholds {
            workstations: args.workstations,
            refusals: args.refusals,
        };
        let mut found = alerts::find(&rows, thresholds);
        found.extend(alerts::cards_to_register_again(
            crate::cards::to_register_again(pool).await?,
        ));
        for alert in found {
            println!("{}", alert.line());
        }
        return Ok(());
    }
    for row in audit::recent(pool, args.limit).await? {
        let e = &row.entry;
        let field = |value: &Option<String>| printable(value.as_deref().unwrap_or("-"));
        println!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
            thaiid_protocol::date::rfc3339_utc(row.at),
            e.method.as_str(),
            printable(&e.outcome),
            field(&e.username),
            field(&e.citizen_id),
            field(&e.card),
            field(&e.agent_id),
            field(&e.remote),
            field(&e.system),
            e.amr.map_or("-", |amr| amr.as_str())
        );
    }
    Ok(())
}
