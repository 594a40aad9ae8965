//! How a revocation reached the relying parties: polls `/notifications` for the back-channel
//! logout deliveries the revocation queued until each is delivered or has failed for good.

use std::collections::BTreeMap;

use leptos::prelude::*;
use leptos::task::spawn_local;
use uuid::Uuid;
use valet_admin_api::{ClientView, NotificationView, Page};

use crate::api::{ApiError, client, paths};
use crate::components::sleep;
use crate::format::when;
use crate::revocation::{self, Delivery};

/// Give up watching (the server keeps retrying) after this long.
const WATCH_MS: f64 = 120_000.0;

async fn poll(state: RwSignal<revocation::Propagation>) -> Result<(), ApiError> {
    let mut cursor: Option<String> = None;
    // The outbox lists newest first, so fresh deliveries are on the first pages.
    for _ in 0..3 {
        let path = paths::notifications(None, cursor.as_deref(), "200");
        let page: Page<NotificationView> = client::get(&path).await?;
        state.try_update(|p| p.absorb(&page.items));
        let all_seen = state
            .try_with_untracked(|p| p.rows.values().all(Option::is_some))
            .unwrap_or(true);
        cursor = page.next_cursor;
        if all_seen || cursor.is_none() {
            break;
        }
    }
    Ok(())
}

async fn client_names(names: RwSignal<BTreeMap<Uuid, String>>) {
    let path = crate::url::with_query("/clients", [("limit", Some("200"))]);
    if let Ok(page) = client::get::<Page<ClientView>>(&path).await {
        names.try_set(
            page.items
                .iter()
                .map(|c| {
                    let r = &c.registration;
                    (c.id, format!("{} ({})", r.client_name, r.client_id))
                })
                .collect(),
        );
    }
}

#[component]
pub fn Propagation(ids: Vec<Uuid>) -> impl IntoView {
    if ids.is_empty() {
        return view! {
            <p class="muted">"No relying party needed a back-channel logout notification."</p>
        }
        .into_any();
    }
    let state = RwSignal::new(revocation::Propagation::new(&ids));
    let names = RwSignal::new(BTreeMap::new());
    let error = RwSignal::new(None::<ApiError>);
    let watching = RwSignal::new(true);
    spawn_local(client_names(names));
    spawn_local(async move {
        let started = js_sys::Date::now();
        let mut delay = 700;
        loop {
            if let Err(e) = poll(state).await {
                error.try_set(Some(e));
            }
            // None: the dialog closed and took this view with it.
            match state.try_with_untracked(revocation::Propagation::settled) {
                Some(false) if js_sys::Date::now() - started < WATCH_MS => {}
                _ => break,
            }
            sleep(delay).await;
            delay = (delay * 3 / 2).min(5_000);
        }
        watching.try_set(false);
    });
    let row = move |id: Uuid| {
        let status = state.with(|p| p.status(&id));
        let note: Option<NotificationView> = state.with(|p| p.rows.get(&id).cloned().flatten());
        let party = note
            .as_ref()
            .and_then(|n| n.client)
            .and_then(|c| names.with(|m| m.get(&c).cloned()))
            .unwrap_or_else(|| "—".into());
        let target = note.as_ref().map(|n| n.target.clone()).unwrap_or_default();
        let attempts = note.as_ref().map(|n| n.attempts).unwrap_or_default();
        let detail = match (&note, status) {
            (Some(n), Delivery::Delivered) => n.delivered_at.as_ref().map(when).unwrap_or_default(),
            (Some(n), Delivery::Pending) => match &n.last_error {
                Some(e) => format!("{e}; next try {}", when(&n.next_attempt_at)),
                None => format!("next try {}", when(&n.next_attempt_at)),
            },
            (Some(n), _) => n.last_error.clone().unwrap_or_default(),
            (None, _) => String::new(),
        };
        view! {
            <tr>
                <td>{party}</td>
                <td class="wrap">{target}</td>
                <td>
                    <span class=format!("delivery {}", status.label())>{status.label()}</span>
                </td>
                <td class="num">{attempts}</td>
                <td class="wrap">{detail}</td>
            </tr>
        }
    };
    view! {
        <section class="propagation" aria-labelledby="propagation-title">
            <h3 id="propagation-title">"Propagation to relying parties"</h3>
            <p role="status" aria-live="polite">
                {move || state.with(revocation::Propagation::summary)}
                {move || {
                    (!watching.get() && !state.with(revocation::Propagation::settled))
                        .then_some(
                            " Stopped watching; Valet keeps retrying (see the overview for failures).",
                        )
                }}
            </p>
            {move || error.get().map(|e| view! { <p class="error-text">{e.to_string()}</p> })}
            <div class="table-wrap">
                <table>
                    <thead>
                        <tr>
                            <th scope="col">"Relying party"</th>
                            <th scope="col">"Back-channel logout URI"</th>
                            <th scope="col">"Status"</th>
                            <th scope="col">"Attempts"</th>
                            <th scope="col">"Detail"</th>
                        </tr>
                    </thead>
                    <tbody>{move || ids.iter().map(|id| row(*id)).collect_view()}</tbody>
                </table>
            </div>
        </section>
    }
    .into_any()
}
