//! Users: search by username, e-mail or name, page through, open one.

use leptos::prelude::*;
use leptos_router::components::A;
use valet_admin_api::{Page, UserView};

use crate::api::{client, paths};
use crate::components::{PageTitle, PagerNav, async_view, badge, href};
use crate::format::when;
use crate::paging::Pager;

/// The claim to show beside a username.
pub fn claim(user: &UserView, name: &str) -> String {
    user.claims
        .get(name)
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_owned()
}

#[component]
pub fn UserList() -> impl IntoView {
    let draft = RwSignal::new(String::new());
    let query = RwSignal::new(String::new());
    let pager = RwSignal::new(Pager::default());
    let users = LocalResource::new(move || {
        let path = query.with(|q| pager.with(|p| paths::listing("users", q, p.cursor())));
        async move { client::get::<Page<UserView>>(&path).await }
    });
    let search = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        query.set(draft.get());
        pager.update(Pager::reset);
    };
    view! {
        <PageTitle title="Users"/>
        <form class="search" role="search" on:submit=search>
            <label for="user-search">"Search users"</label>
            <input id="user-search" type="search" bind:value=draft placeholder="username, e-mail or name"/>
            <button type="submit">"Search"</button>
        </form>
        {async_view(users, "users", move |page: Page<UserView>| {
            if page.items.is_empty() {
                return view! { <p class="muted">"No users match."</p> }.into_any();
            }
            let nav = view! { <PagerNav pager=pager page=page.clone() label="User pages"/> };
            view! {
                <div class="table-wrap">
                    <table>
                        <thead>
                            <tr>
                                <th scope="col">"Username"</th>
                                <th scope="col">"Name"</th>
                                <th scope="col">"E-mail"</th>
                                <th scope="col">"Roles"</th>
                                <th scope="col">"State"</th>
                                <th scope="col">"Created"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {page
                                .items
                                .into_iter()
                                .map(|u| {
                                    let href = href(&format!("/users/{}", u.id));
                                    let (name, email) = (claim(&u, "name"), claim(&u, "email"));
                                    view! {
                                        <tr>
                                            <td><A href=href>{u.username}</A></td>
                                            <td>{name}</td>
                                            <td>{email}</td>
                                            <td>{u.roles.join(", ")}</td>
                                            <td>{badge(!u.disabled, "active", "disabled")}</td>
                                            <td class="nowrap">{when(&u.created_at)}</td>
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
