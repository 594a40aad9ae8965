//! A modal dialog on the native `<dialog>` element: `showModal()` makes the page behind it inert,
//! keeps focus inside and closes on Escape; on close focus goes back to where it was.

use std::sync::atomic::{AtomicUsize, Ordering};

use leptos::prelude::*;
use wasm_bindgen::JsCast;

static NEXT_ID: AtomicUsize = AtomicUsize::new(0);

#[component]
pub fn Modal(
    open: RwSignal<bool>,
    #[prop(into)] title: Signal<String>,
    children: ChildrenFn,
) -> impl IntoView {
    let dialog = NodeRef::<leptos::html::Dialog>::new();
    let title_id = format!("dialog-title-{}", NEXT_ID.fetch_add(1, Ordering::Relaxed));
    let opener = StoredValue::new_local(None::<web_sys::HtmlElement>);
    Effect::new(move |_| {
        let Some(el) = dialog.get() else { return };
        if open.get() {
            if !el.open() {
                opener.set_value(
                    document()
                        .active_element()
                        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()),
                );
                let _ = el.show_modal();
            }
        } else if el.open() {
            el.close();
        }
    });
    // Back to the button that opened the dialog; if the page redrew it meanwhile (a revocation
    // refreshes its table), to the page's heading.
    let on_close = move |_| {
        open.set(false);
        let target = opener
            .get_value()
            .filter(|el| el.is_connected())
            .or_else(|| {
                document()
                    .query_selector("main h1")
                    .ok()
                    .flatten()
                    .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
            });
        if let Some(el) = target {
            let _ = el.focus();
        }
    };
    let children = StoredValue::new(children);
    let labelled_by = title_id.clone();
    view! {
        <dialog node_ref=dialog aria-labelledby=labelled_by on:close=on_close>
            <h2 id=title_id>{move || title.get()}</h2>
            <Show when=move || open.get()>{move || children.with_value(|c| c())}</Show>
        </dialog>
    }
}
