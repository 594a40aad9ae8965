//! Signing keys and their schedule (published → signing → retiring → gone), with a rotation:
//! scheduled (the new key signs after the publication lead) or immediate (a compromised key).

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use leptos::task::spawn_local;
use valet_admin_api::KeyView;

use crate::api::{ApiError, client, paths};
use crate::components::{ErrorBox, Modal, PageTitle, StatusLine, async_view};
use crate::format::{relative, when};

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp_millis(js_sys::Date::now() as i64).unwrap_or_default()
}

fn state_text(state: &str) -> &'static str {
    match state {
        "next" => "published, not signing yet",
        "active" => "signing",
        "retiring" => "published for verification only",
        "retired" => "retired",
        _ => "unknown",
    }
}

#[component]
pub fn KeyList() -> impl IntoView {
    let keys = LocalResource::new(|| client::get::<Vec<KeyView>>(paths::keys()));
    let status = RwSignal::new(None::<String>);
    let confirming = RwSignal::new(false);
    let on_rotated = Callback::new(move |count: usize| {
        status.set(Some(format!(
            "Rotated: {count} keys are now on the schedule."
        )));
        keys.refetch();
    });
    view! {
        <PageTitle title="Signing keys">
            <button type="button" on:click=move |_| confirming.set(true)>"Rotate keys…"</button>
        </PageTitle>
        <StatusLine status=status/>
        <p class="muted">
            "A new key is published in the JWKS before it signs; a retired key stays published until every token it signed has expired."
        </p>
        {async_view(keys, "keys", |keys: Vec<KeyView>| {
            if keys.is_empty() {
                return view! { <p class="muted">"No keys."</p> }.into_any();
            }
            let now = now();
            view! {
                <div class="table-wrap">
                    <table>
                        <thead>
                            <tr>
                                <th scope="col">"Key ID"</th>
                                <th scope="col">"Algorithm"</th>
                                <th scope="col">"State"</th>
                                <th scope="col">"Created"</th>
                                <th scope="col">"Signs from"</th>
                                <th scope="col">"Stops signing"</th>
                                <th scope="col">"Unpublished"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {keys
                                .into_iter()
                                .map(|k| {
                                    let at = |t: &DateTime<Utc>| {
                                        view! {
                                            <td class="nowrap">
                                                {when(t)}
                                                <br/>
                                                <small class="muted">{relative(t, &now)}</small>
                                            </td>
                                        }
                                    };
                                    view! {
                                        <tr>
                                            <td><code>{k.kid.clone()}</code></td>
                                            <td>{k.alg.clone()}</td>
                                            <td>
                                                <span class=format!("key-state {}", k.state)>{k.state.clone()}</span>
                                                <br/>
                                                <small class="muted">{state_text(&k.state)}</small>
                                            </td>
                                            <td class="nowrap">{when(&k.created_at)}</td>
                                            {at(&k.activates_at)}
                                            {at(&k.retires_at)}
                                            {at(&k.expires_at)}
                                        </tr>
                                    }
                                })
                                .collect_view()}
                        </tbody>
                    </table>
                </div>
            }
            .into_any()
        })}
        <Modal open=confirming title="Rotate signing keys">
            <Rotate open=confirming on_rotated=on_rotated/>
        </Modal>
    }
}

#[component]
fn Rotate(open: RwSignal<bool>, on_rotated: Callback<usize>) -> impl IntoView {
    let immediately = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let rotate = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        busy.set(true);
        let path = paths::rotate_keys(immediately.get_untracked());
        spawn_local(async move {
            match client::act::<Vec<KeyView>>("POST", &path).await {
                Ok(keys) => {
                    open.try_set(false);
                    on_rotated.run(keys.len());
                }
                Err(e) => {
                    error.try_set(Some(e));
                }
            }
            busy.try_set(false);
        });
    };
    view! {
        <form on:submit=rotate>
            <p class="dialog-text">
                "A new key is generated for each algorithm and published in the JWKS at once. "
                "It starts signing after the publication lead, so relying parties that cache the JWKS see it first; "
                "the current key then retires and stays published until its tokens expire."
            </p>
            <div class="check">
                <input id="rotate-now" type="checkbox" bind:checked=immediately aria-describedby="rotate-now-hint"/>
                <label for="rotate-now">"Sign with the new keys immediately"</label>
            </div>
            <small id="rotate-now-hint" class="hint">
                "Only for a compromised key: relying parties with a cached JWKS reject new tokens until they refetch it."
            </small>
            {move || error.get().map(|e| view! { <ErrorBox error=e/> })}
            <div class="dialog-actions">
                <button type="button" autofocus on:click=move |_| open.set(false)>"Cancel"</button>
                <button type="submit" class="danger" disabled=move || busy.get()>
                    {move || if busy.get() { "Rotating…" } else { "Rotate keys" }}
                </button>
            </div>
        </form>
    }
}
