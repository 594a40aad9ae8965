//! Registering a client: the form, then its secret, shown once.

use leptos::prelude::*;
use leptos_router::components::A;
use valet_admin_api::CreatedClient;

use super::form::ClientFormView;
use crate::api::url_segment;
use crate::components::{PageTitle, href};
use crate::forms::ClientForm;

#[component]
pub fn NewClient() -> impl IntoView {
    let created = RwSignal::new(None::<CreatedClient>);
    view! {
        <p class="breadcrumb"><A href=href("/clients")>"Clients"</A></p>
        <PageTitle title="New client"/>
        {move || match created.get() {
            Some(done) => view! { <Created created=done/> }.into_any(),
            None => view! {
                <ClientFormView initial=ClientForm::new_client() editing=false on_saved=Callback::new(move |c| created.set(Some(c)))/>
            }
            .into_any(),
        }}
    }
}

#[component]
fn Created(created: CreatedClient) -> impl IntoView {
    let r = &created.client.registration;
    let href = href(&format!("/clients/{}", url_segment(&r.client_id)));
    view! {
        <div class="notice" role="status">
            <p>{format!("The client {} ({}) is registered.", r.client_name, r.client_id)}</p>
            {created.client_secret.map(|secret| view! {
                <p>"Its secret, shown only this once:"</p>
                <p><code class="secret">{secret}</code></p>
            })}
            <p><A href=href>"Open the client"</A></p>
        </div>
    }
}
