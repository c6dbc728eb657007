//! `thaiid-server user add|passwd|otp|reset-code|link|card|set|list|import`: accounts.

use super::{otp_key, password_from_stdin, Outcome};
use crate::card_key;
use crate::cli::UserCommand;
use crate::db::Pool;
use crate::text::printable;
use crate::{audit, cards, otp, reset_codes, users};

pub async fn run(pool: &Pool, command: UserCommand, now: i64) -> Outcome {
    match command {
        UserCommand::Add {
            name,
            citizen_id,
            details,
        } => {
            let password = password_from_stdin()?;
            if !password.is_empty() {
                // Judged before the account exists, so a weak one adds nothing.
                crate::password_rules::check(&password, &name, citizen_id.as_deref())?;
            }
            let display = details.display_name.as_deref().unwrap_or(&name);
            users::add(pool, &name, display, citizen_id.as_deref(), now).await?;
            let (department, email) = (details.department.as_deref(), details.email.as_deref());
            users::set_details(pool, &name, None, department, email).await?;
            if password.is_empty() {
                println!("added {name} (no password: card login only)");
            } else {
                users::set_password(pool, &name, &password).await?;
                println!("added {name}");
            }
        }
        UserCommand::Passwd { name } => {
            users::set_password(pool, &name, &password_from_stdin()?).await?;
            println!("password of {name} set");
        }
        UserCommand::Otp { name } => {
            let secret = users::enrol_otp(pool, &otp_key()?, &name).await?;
            println!("{}", otp::provisioning_uri(&secret, &name)?);
        }
        UserCommand::ResetCode { name } => {
            let code = reset_codes::issue(pool, &name, now).await?;
            let mut entry = audit::Entry::new(audit::Method::ResetCode);
            entry.set_outcome(Ok(()));
            entry.username = Some(name);
            audit::record(pool, &entry, now).await?;
            println!("{code}");
        }
        UserCommand::Link {
            name, citizen_id, ..
        } => {
            users::link(pool, &name, citizen_id.as_deref()).await?;
            println!("{name}: card link updated");
        }
        UserCommand::Card {
            name, block: true, ..
        } => {
            let masked = cards::block(pool, &name, now).await?;
            let masked = printable(&masked);
            println!("{name}: card {masked} blocked; no card logs in until one is registered");
        }
        UserCommand::Card {
            name,
            serial,
            laser_id,
            no_laser_applet,
            block: false,
        } => {
            let serial = serial.ok_or("--serial is required")?;
            let laser = cards::LaserEntry::from_options(laser_id.as_deref(), no_laser_applet)?;
            let replaced =
                cards::register_by_it(pool, &super::card_key()?, &name, &serial, laser, now)
                    .await?;
            let serial = card_key::masked_serial(&serial);
            match laser {
                cards::LaserEntry::LaserId(_) => {
                    println!("{name}: card {serial} registered with its laser ID");
                }
                cards::LaserEntry::NoApplet => println!(
                    "{name}: card {serial} registered without a laser ID (no laser applet): \
                     a first factor only, the OTP follows its every card login"
                ),
            }
            if let Some(old) = replaced {
                println!("{name}: the old card {} is blocked", printable(&old));
            }
        }
        UserCommand::Set { name, details } => {
            users::set_details(
                pool,
                &name,
                details.display_name.as_deref(),
                details.department.as_deref(),
                details.email.as_deref(),
            )
            .await?;
            println!("{name} updated");
        }
        UserCommand::Import { file } => super::user_import::run(pool, &file, now).await?,
        UserCommand::List => {
            for account in users::list(pool).await? {
                println!(
                    "{}\t{}\t{}\tpassword:{}\totp:{}",
                    printable(&account.username),
                    printable(&account.display_name),
                    account.citizen_id_masked().unwrap_or_else(|| "-".into()),
                    if account.password_hash.is_some() {
                        "yes"
                    } else {
                        "no"
                    },
                    if account.totp_secret.is_some() {
                        "yes"
                    } else {
                        "no"
                    },
                );
            }
        }
    }
    Ok(())
}
