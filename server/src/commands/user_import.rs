//! `thaiid-server user import FILE.csv`: the HR export imported by [`crate::import`], one
//! line a row (row, user name, citizen ID masked, outcome), then the counts. Any refused
//! row makes the command fail (exit 1) after the others are imported, so that a script
//! notices the rows to fix; running it again after the fix changes only those.

use super::Outcome;
use crate::db::Pool;
use crate::import;
use crate::text::printable;
use std::io::Read;
use std::path::Path;

pub async fn run(pool: &Pool, file: &Path, now: i64) -> Outcome {
    let csv = if file == Path::new("-") {
        let mut csv = Vec::new();
        std::io::stdin().read_to_end(&mut csv)?;
        csv
    } else {
        std::fs::read(file).map_err(|error| format!("cannot read {}: {error}", file.display()))?
    };
    let report = import::import(pool, &csv, crate::audit::CLI, now).await?;
    for row in &report.rows {
        println!(
            "row {}\t{}\t{}\t{}",
            row.row,
            printable(&row.username),
            row.citizen_id.as_deref().unwrap_or("-"),
            row.outcome
        );
    }
    let counts = report.counts();
    println!("{counts}");
    if counts.refused > 0 {
        return Err(format!(
            "{} row(s) refused, the others imported: fix those rows and run the import again",
            counts.refused
        )
        .into());
    }
    Ok(())
}
