//! The app: sign-in first, then the shell (header, navigation, sign-out) around the routed pages.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::{A, Route, Router, Routes};
use leptos_router::path;

use crate::api::{client, paths};
use crate::auth::session::{self, Start};
use crate::components::href;
use crate::pages::{audit, clients, keys, overview, users};

pub fn start() {
    leptos::mount::mount_to_body(Root);
}

#[component]
fn Root() -> impl IntoView {
    let start = LocalResource::new(session::start);
    move || match start.get() {
        None => view! { <Splash text="Signing in…"/> }.into_any(),
        Some(Start::Redirecting) => view! { <Splash text="Taking you to sign-in…"/> }.into_any(),
        Some(Start::Ready) => view! { <Console/> }.into_any(),
        Some(Start::SignedOut) => view! {
            <SignInAgain
                title="Signed out"
                text="You signed out of the Valet admin console."
            />
        }
        .into_any(),
        Some(Start::Failed(text)) => view! {
            <SignInAgain title="Sign-in failed" text=text/>
        }
        .into_any(),
    }
}

#[component]
fn Splash(text: &'static str) -> impl IntoView {
    view! {
        <main class="splash">
            <p class="loading" role="status">
                <span class="spinner" aria-hidden="true"></span>
                {text}
            </p>
        </main>
    }
}

#[component]
fn SignInAgain(title: &'static str, #[prop(into)] text: String) -> impl IntoView {
    document().set_title(&format!("{title} · Valet admin"));
    view! {
        <main class="splash">
            <div class="card">
                <h1>{title}</h1>
                <p role="alert">{text}</p>
                <button type="button" class="primary" on:click=|_| session::sign_in()>
                    "Sign in"
                </button>
            </div>
        </main>
    }
}

#[component]
fn Console() -> impl IntoView {
    let base = session::site().router_base();
    // The ID token carries only `sub` (scope `openid`): the username comes from the API.
    let who = LocalResource::new(|| async {
        let fallback = session::display_name().unwrap_or_else(|| "administrator".into());
        let Some(id) = session::subject().and_then(|s| uuid::Uuid::parse_str(&s).ok()) else {
            return fallback;
        };
        client::get::<valet_admin_api::UserView>(paths::user(id))
            .await
            .map_or(fallback, |u| u.username)
    });
    let signing_out = RwSignal::new(false);
    let sign_out = move |_| {
        signing_out.set(true);
        spawn_local(session::sign_out());
    };
    view! {
        <Router base=base>
            <a class="skip-link" href="#main">"Skip to content"</a>
            <header class="topbar">
                <span class="brand">"Valet admin"</span>
                <nav aria-label="Main">
                    <ul>
                        <li><A href=href("/") exact=true>"Overview"</A></li>
                        <li><A href=href("/clients")>"Clients"</A></li>
                        <li><A href=href("/users")>"Users"</A></li>
                        <li><A href=href("/keys")>"Keys"</A></li>
                        <li><A href=href("/audit")>"Audit log"</A></li>
                    </ul>
                </nav>
                <div class="who">
                    <span>"Signed in as " <strong>{move || who.get().unwrap_or_default()}</strong></span>
                    <button type="button" on:click=sign_out disabled=move || signing_out.get()>
                        {move || if signing_out.get() { "Signing out…" } else { "Sign out" }}
                    </button>
                </div>
            </header>
            <main id="main" tabindex="-1">
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=overview::show::Overview/>
                    <Route path=path!("/clients") view=clients::list::ClientList/>
                    <Route path=path!("/clients/new") view=clients::new::NewClient/>
                    <Route path=path!("/clients/:client_id") view=clients::detail::ClientDetail/>
                    <Route path=path!("/clients/:client_id/edit") view=clients::edit::EditClient/>
                    <Route path=path!("/users") view=users::list::UserList/>
                    <Route path=path!("/users/:id") view=users::detail::UserDetail/>
                    <Route path=path!("/keys") view=keys::list::KeyList/>
                    <Route path=path!("/audit") view=audit::list::AuditLog/>
                </Routes>
            </main>
        </Router>
    }
}

#[component]
fn NotFound() -> impl IntoView {
    view! {
        <crate::components::PageTitle title="Not found"/>
        <p>"There is no such page in the console."</p>
        <p><A href=href("/")>"Back to the overview"</A></p>
    }
}
