//! The pieces every page uses: the page title (focused on arrival, so screen readers announce the
//! new page), loading and error states, the pager, and the live status line.

mod dialog;

pub use dialog::Modal;

use leptos::prelude::*;
use valet_admin_api::Page;

use crate::api::ApiError;
use crate::paging::Pager;

/// A console route as an absolute path: `<A>` does not add the router's base to paths that
/// start with `/`, so every link goes through here (`/clients` → `/tenant/admin/clients`).
pub fn href(path: &str) -> String {
    format!("{}{path}", crate::auth::session::site().router_base())
}

/// The page's `<h1>`: it names the document and takes focus when the page opens.
#[component]
pub fn PageTitle(
    #[prop(into)] title: Signal<String>,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    let heading = NodeRef::<leptos::html::H1>::new();
    Effect::new(move |_| {
        document().set_title(&format!("{} · Valet admin", title.get()));
        if let Some(h1) = heading.get() {
            let _ = h1.focus();
        }
    });
    view! {
        <div class="page-title">
            <h1 tabindex="-1" node_ref=heading>{move || title.get()}</h1>
            {children.map(|c| view! { <div class="page-actions">{c()}</div> })}
        </div>
    }
}

#[component]
pub fn Loading(#[prop(optional, into)] what: Option<String>) -> impl IntoView {
    let text = what.map_or_else(|| "Loading…".to_owned(), |w| format!("Loading {w}…"));
    view! { <p class="loading" role="status"><span class="spinner" aria-hidden="true"></span>{text}</p> }
}

/// An error in place of what failed to load, with a way to try again.
#[component]
pub fn ErrorBox(
    error: ApiError,
    #[prop(optional, into)] retry: Option<Callback<()>>,
) -> impl IntoView {
    let signed_out = error == ApiError::SignedOut;
    view! {
        <div class="error-box" role="alert">
            <p>{error.to_string()}</p>
            {retry
                .filter(|_| !signed_out)
                .map(|retry| {
                    view! {
                        <button type="button" on:click=move |_| retry.run(())>
                            "Try again"
                        </button>
                    }
                })}
        </div>
    }
}

/// A resource's three states: loading, failed (with a retry), loaded.
pub fn async_view<T, V>(
    resource: LocalResource<Result<T, ApiError>>,
    what: &'static str,
    loaded: impl Fn(T) -> V + Send + Sync + 'static,
) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
    V: IntoView + 'static,
{
    move || match resource.get() {
        None => view! { <Loading what=what/> }.into_any(),
        Some(Err(error)) => {
            view! { <ErrorBox error=error retry=Callback::new(move |()| resource.refetch())/> }
                .into_any()
        }
        Some(Ok(data)) => loaded(data).into_any(),
    }
}

/// "Previous / Page n / Next" for a keyset-paginated listing.
#[component]
pub fn PagerNav<T>(
    pager: RwSignal<Pager>,
    page: Page<T>,
    #[prop(into)] label: String,
) -> impl IntoView
where
    T: Send + Sync + 'static,
{
    let next = page.next_cursor.clone();
    let has_next = next.is_some();
    let (has_previous, number) = pager.with_untracked(|p| (p.has_previous(), p.number()));
    view! {
        <nav class="pager" aria-label=label>
            <button
                type="button"
                disabled=!has_previous
                on:click=move |_| pager.update(Pager::back)
            >
                "Previous"
            </button>
            <span>{format!("Page {number}")}</span>
            <button
                type="button"
                disabled=!has_next
                on:click=move |_| {
                    if let Some(cursor) = &next {
                        pager.update(|p| p.forward(cursor));
                    }
                }
            >
                "Next"
            </button>
        </nav>
    }
}

/// A polite live region: what an action did, read out without moving focus.
#[component]
pub fn StatusLine(status: RwSignal<Option<String>>) -> impl IntoView {
    view! {
        <p class="status-line" role="status" aria-live="polite">
            {move || status.get().unwrap_or_default()}
        </p>
    }
}

/// Resolves after `ms` milliseconds (a `setTimeout` as a future).
pub async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// A yes/no badge.
pub fn badge(on: bool, yes: &'static str, no: &'static str) -> impl IntoView {
    view! { <span class=if on { "badge on" } else { "badge" }>{if on { yes } else { no }}</span> }
}
