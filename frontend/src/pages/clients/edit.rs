//! Editing a client's registration (its client_id stays).

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;
use valet_admin_api::{ClientView, CreatedClient};

use super::detail::client_id_param;
use super::form::ClientFormView;
use crate::api::{client, paths, url_segment};
use crate::components::{PageTitle, async_view, href};
use crate::forms::ClientForm;

#[component]
pub fn EditClient() -> impl IntoView {
    let client_id = client_id_param();
    let loaded = LocalResource::new(move || {
        let path = paths::client(&client_id.get());
        async move { client::get::<ClientView>(&path).await }
    });
    let navigate = use_navigate();
    let on_saved = Callback::new(move |saved: CreatedClient| {
        let href = format!(
            "/clients/{}",
            url_segment(&saved.client.registration.client_id)
        );
        navigate(&href, Default::default());
    });
    let back = move || href(&format!("/clients/{}", url_segment(&client_id.get())));
    view! {
        <p class="breadcrumb"><A href=href("/clients")>"Clients"</A> " / " <A href=back>{move || client_id.get()}</A></p>
        <PageTitle title="Edit client"/>
        {async_view(loaded, "the client", move |c: ClientView| {
            view! { <ClientFormView initial=ClientForm::from_input(&c.registration) editing=true on_saved=on_saved/> }
        })}
    }
}
