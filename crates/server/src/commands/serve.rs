//! `valet serve`.

use std::path::Path;

use super::{Failure, Output};
use crate::Application;
use crate::config::Config;

pub async fn serve(
    config: Config,
    provision: Option<&Path>,
    migrate: bool,
    out: Output,
) -> Result<(), Failure> {
    let issuer = config.issuer.to_string();
    let console = config.issuer.endpoint("admin/");
    let console_built = config
        .console_dir
        .as_ref()
        .is_some_and(|d| d.join("index.html").is_file());
    let database = config.database.to_string();
    let mail_outbox = config
        .mail
        .is_default
        .then(|| config.mail.url.expose().to_owned());
    let app = Application::build(config, provision, migrate).await?;
    if let Some(admin) = &app.admin {
        let password = admin.password.as_ref().map(|p| p.expose().to_owned());
        out.emit(
            &serde_json::json!({ "admin_created": { "username": admin.username.as_str(), "password": password } }),
            |_| match &password {
                Some(pw) => format!(
                    "Created the first administrator.\n  username: {}\n  password: {pw}\nThis password is shown only once.",
                    admin.username.as_str()
                ),
                None => format!("Created the first administrator `{}` with the password from VALET_ADMIN_PASSWORD.", admin.username.as_str()),
            },
        );
    }
    out.emit(
        &serde_json::json!({ "issuer": issuer, "admin_console": console, "admin_console_built": console_built }),
        |_| {
            if console_built {
                format!("Admin console: {console} (sign in as an administrator, e.g. `admin`).")
            } else {
                format!("Admin console: {console} is not built; run scripts/build-console and pass --console-dir.")
            }
        },
    );
    if let Some(dir) = &mail_outbox {
        out.emit(&serde_json::json!({ "mail_outbox": dir }), |_| {
            format!(
                "Mail is written to {dir} (one .eml file per message); set --mail-url for SMTP."
            )
        });
    }
    tracing::info!(addr = %app.addr(), %issuer, %database, "valet is serving");
    app.run_until_stopped().await?;
    tracing::info!("valet stopped");
    Ok(())
}
