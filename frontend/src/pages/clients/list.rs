//! Clients: search by client_id or name, page through, open one.

use leptos::prelude::*;
use leptos_router::components::A;
use valet_admin_api::{ClientView, Page};

use crate::api::{client, paths, url_segment};
use crate::components::{PageTitle, PagerNav, async_view, badge, href};
use crate::paging::Pager;

#[component]
pub fn ClientList() -> impl IntoView {
    let draft = RwSignal::new(String::new());
    let query = RwSignal::new(String::new());
    let pager = RwSignal::new(Pager::default());
    let clients = LocalResource::new(move || {
        let path = query.with(|q| pager.with(|p| paths::listing("clients", q, p.cursor())));
        async move { client::get::<Page<ClientView>>(&path).await }
    });
    let search = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        query.set(draft.get());
        pager.update(Pager::reset);
    };
    view! {
        <PageTitle title="Clients">
            <A href=href("/clients/new") attr:class="button primary">"New client"</A>
        </PageTitle>
        <form class="search" role="search" on:submit=search>
            <label for="client-search">"Search clients"</label>
            <input id="client-search" type="search" bind:value=draft placeholder="client_id or name"/>
            <button type="submit">"Search"</button>
        </form>
        {async_view(clients, "clients", move |page: Page<ClientView>| {
            if page.items.is_empty() {
                return view! { <p class="muted">"No clients match."</p> }.into_any();
            }
            let nav = view! { <PagerNav pager=pager page=page.clone() label="Client pages"/> };
            view! {
                <div class="table-wrap">
                    <table>
                        <thead>
                            <tr>
                                <th scope="col">"Name"</th>
                                <th scope="col">"Client ID"</th>
                                <th scope="col">"Type"</th>
                                <th scope="col">"Authentication"</th>
                                <th scope="col">"State"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {page
                                .items
                                .into_iter()
                                .map(|c| {
                                    let r = c.registration;
                                    let href = href(&format!("/clients/{}", url_segment(&r.client_id)));
                                    view! {
                                        <tr>
                                            <td><A href=href>{r.client_name}</A></td>
                                            <td><code>{r.client_id}</code></td>
                                            <td>{if c.public { "public" } else { "confidential" }}</td>
                                            <td>{r.token_endpoint_auth_method.unwrap_or_default()}</td>
                                            <td>{badge(!c.disabled, "enabled", "disabled")}</td>
                                        </tr>
                                    }
                                })
                                .collect_view()}
                        </tbody>
                    </table>
                </div>
                {nav}
            }
            .into_any()
        })}
    }
}
