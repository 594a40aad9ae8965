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
    let database = config.database.to_string();
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
    tracing::info!(addr = %app.addr(), %issuer, %database, "valet is serving");
    app.run_until_stopped().await?;
    tracing::info!("valet stopped");
    Ok(())
}
