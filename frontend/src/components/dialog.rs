//! A modal dialog on the native `<dialog>` element: `showModal()` makes the page behind it inert,
//! keeps focus inside and closes on Escape; on close focus goes back to where it was.

use std::sync::atomic::{AtomicUsize, Ordering};

use leptos::prelude::*;
use wasm_bindgen::JsCast;

static NEXT_ID: AtomicUsize = AtomicUsize::new(0);

/// `opener_gone`: set once what opened the dialog is going away (the row of a grant just revoked,
/// which the page is about to redraw without it): focus then goes to the page's heading instead.
#[component]
pub fn Modal(
    open: RwSignal<bool>,
    #[prop(into)] title: Signal<String>,
    #[prop(optional, into)] opener_gone: Signal<bool>,
    children: ChildrenFn,
) -> impl IntoView {
    let dialog = NodeRef::<leptos::html::Dialog>::new();
    let title_id = format!("dialog-title-{}", NEXT_ID.fetch_add(1, Ordering::Relaxed));
    let opener = StoredValue::new_local(None::<web_sys::HtmlElement>);
    // Back to the button that opened the dialog; if the page redrew it meanwhile, or is about to
    // (`opener_gone`), to the page's heading.
    let restore_focus = move || {
        let target = opener
            .get_value()
            .filter(|el| el.is_connected() && !opener_gone.get_untracked())
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
            // Focus moves as the dialog goes, not a task later with its `close` event: the
            // browser's own restoring would meanwhile drop it on <body> if the opener was redrawn.
            el.close();
            restore_focus();
        }
    });
    // Escape closes the dialog without the signal: the `close` event brings both in line.
    let on_close = move |_| {
        if open.get_untracked() {
            open.set(false);
        }
        restore_focus();
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
