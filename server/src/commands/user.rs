//! `thaiid-server user add|passwd|otp|unlock|reset-code|link|card|set|list|import`: accounts.

use super::{otp_key, password_from_stdin, Outcome};
use crate::card_key;
use crate::cli::UserCommand;
use crate::db::Pool;
use crate::text::printable;
use crate::{audit, cards, otp, people, users};

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
            let person = people::NewPerson {
                username: &name,
                display_name: details.display_name.as_deref().unwrap_or(&name),
                citizen_id: citizen_id.as_deref(),
                department: details.department.as_deref(),
                email: details.email.as_deref(),
            };
            people::create(pool, &person, audit::CLI, now).await?;
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
        UserCommand::Otp { name, reset: true } => {
            people::reset_otp(pool, &name, audit::CLI, now).await?;
            println!("{name}: OTP cleared; a new one is set up on /me/otp after a card login");
        }
        UserCommand::Otp { name, reset: false } => {
            let secret = users::enrol_otp(pool, &otp_key()?, &name).await?;
            println!("{}", otp::provisioning_uri(&secret, &name)?);
        }
        UserCommand::Unlock { name } => {
            people::clear_lockout(pool, &name, audit::CLI, now).await?;
            println!("{name}: lockout cleared");
        }
        UserCommand::ResetCode { name } => {
            let code = people::give_reset_code(pool, &name, audit::CLI, now).await?;
            println!("{code}");
        }
        UserCommand::Link {
            name, citizen_id, ..
        } => {
            people::link(pool, &name, citizen_id.as_deref(), audit::CLI, now).await?;
            println!("{name}: card link updated");
        }
        UserCommand::Card {
            name, block: true, ..
        } => {
            let masked = people::block_card(pool, &name, audit::CLI, now).await?;
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
