//! Revoking with a confirmation that states precisely what will go: a dry run first
//! (`?dry_run=true` → counts, as a sentence), then the real revocation, then how the relying
//! parties' back-channel logout deliveries fare. Used for grants, sessions, and whole users or
//! clients, which all answer with a `RevocationView`.

use leptos::prelude::*;
use leptos::task::spawn_local;
use valet_admin_api::RevocationView;

use super::propagation::Propagation;
use crate::api::{ApiError, client};
use crate::components::{ErrorBox, Loading, Modal};
use crate::revocation::{dry_run_sentence, outcome_sentence};

/// One revocation the page offers.
#[derive(Clone, Debug, PartialEq)]
pub struct RevocationRequest {
    /// The dialog's title: `Revoke grant`.
    pub title: String,
    /// The sentence's subject: `Revoking the grant of alice to Billing`.
    pub action: String,
    /// The dry run: POSTed.
    pub preview: String,
    /// The real thing: method and path.
    pub commit: (&'static str, String),
    /// The confirming button: `Revoke grant`.
    pub confirm: String,
}

#[derive(Clone, Debug, PartialEq)]
enum Phase {
    Counting,
    Confirming(RevocationView),
    Revoking,
    Done(RevocationView),
    Failed(ApiError),
}

/// The dialog: set `request` to open it; `on_done` runs after a real revocation.
#[component]
pub fn RevocationDialog(
    request: RwSignal<Option<RevocationRequest>>,
    #[prop(into)] on_done: Callback<()>,
) -> impl IntoView {
    let open = RwSignal::new(false);
    // Signals notify on every set, so each side is only written when it differs (no ping-pong).
    Effect::new(move |_| {
        let wanted = request.with(Option::is_some);
        if open.get_untracked() != wanted {
            open.set(wanted);
        }
    });
    Effect::new(move |_| {
        if !open.get() && request.with_untracked(Option::is_some) {
            request.set(None);
        }
    });
    let title = Signal::derive(move || {
        request.with(|r| r.as_ref().map(|r| r.title.clone()).unwrap_or_default())
    });
    // What was revoked leaves the page, and with it the button that opened the dialog.
    let revoked = RwSignal::new(false);
    let done = Callback::new(move |()| {
        revoked.set(true);
        on_done.run(());
    });
    Effect::new(move |_| {
        if open.get() {
            revoked.set(false);
        }
    });
    view! {
        <Modal open=open title=title opener_gone=revoked>
            {move || {
                request
                    .get_untracked()
                    .map(|r| view! { <RevocationFlow request=r open=open on_done=done/> })
            }}
        </Modal>
    }
}

#[component]
fn RevocationFlow(
    request: RevocationRequest,
    open: RwSignal<bool>,
    on_done: Callback<()>,
) -> impl IntoView {
    let phase = RwSignal::new(Phase::Counting);
    let preview = request.preview.clone();
    spawn_local(async move {
        let answer = client::act::<RevocationView>("POST", &preview).await;
        phase.try_set(match answer {
            Ok(view) => Phase::Confirming(view),
            Err(e) => Phase::Failed(e),
        });
    });
    let commit = request.commit.clone();
    let revoke = move |_| {
        phase.set(Phase::Revoking);
        let (method, path) = commit.clone();
        spawn_local(async move {
            let answer = client::act::<RevocationView>(method, &path).await;
            if answer.is_ok() {
                on_done.run(());
            }
            phase.try_set(match answer {
                Ok(view) => Phase::Done(view),
                Err(e) => Phase::Failed(e),
            });
        });
    };
    let close = move |_| open.set(false);
    let first_button = NodeRef::<leptos::html::Button>::new();
    Effect::new(move |_| {
        if let Some(button) = first_button.get() {
            let _ = button.focus();
        }
    });
    let action = request.action.clone();
    let confirm = request.confirm.clone();
    move || match phase.get() {
        Phase::Counting => view! { <Loading what="what this would revoke"/> }.into_any(),
        Phase::Confirming(preview) => {
            let nothing = preview.nothing_to_revoke;
            let (revoke, confirm) = (revoke.clone(), confirm.clone());
            view! {
                <p class="dialog-text">{dry_run_sentence(&action, &preview)}</p>
                <div class="dialog-actions">
                    <button type="button" node_ref=first_button on:click=close>
                        {if nothing { "Close" } else { "Cancel" }}
                    </button>
                    {(!nothing)
                        .then(|| {
                            view! {
                                <button type="button" class="danger" on:click=revoke>
                                    {confirm}
                                </button>
                            }
                        })}
                </div>
            }
            .into_any()
        }
        Phase::Revoking => view! { <p role="status" class="loading">"Revoking…"</p> }.into_any(),
        Phase::Done(outcome) => view! {
            <p class="dialog-text" role="status">{outcome_sentence(&outcome)}</p>
            <Propagation ids=outcome.notifications.clone()/>
            <div class="dialog-actions">
                <button type="button" node_ref=first_button on:click=close>"Close"</button>
            </div>
        }
        .into_any(),
        Phase::Failed(error) => view! {
            <ErrorBox error=error/>
            <div class="dialog-actions">
                <button type="button" node_ref=first_button on:click=close>"Close"</button>
            </div>
        }
        .into_any(),
    }
}
