//! The audit log: who did what to what, newest first, with filters.

use leptos::prelude::*;
use valet_admin_api::{AuditEventView, Page};

use crate::api::client;
use crate::api::paths::{self, AuditFilter};
use crate::components::{PageTitle, PagerNav, async_view};
use crate::format::when;
use crate::paging::Pager;

/// The events as a table; `compact` (the overview) leaves out the IP and the details.
pub fn audit_rows(items: Vec<AuditEventView>, compact: bool) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table>
                <thead>
                    <tr>
                        <th scope="col">"When"</th>
                        <th scope="col">"Actor"</th>
                        <th scope="col">"Action"</th>
                        <th scope="col">"Target"</th>
                        {(!compact).then(|| view! {
                            <th scope="col">"IP"</th>
                            <th scope="col">"Details"</th>
                        })}
                    </tr>
                </thead>
                <tbody>
                    {items
                        .into_iter()
                        .map(|e| {
                            let target = match (e.target_type, e.target_id) {
                                (Some(t), Some(id)) => format!("{t} {id}"),
                                (Some(t), None) => t,
                                (None, Some(id)) => id,
                                (None, None) => String::new(),
                            };
                            let details = match &e.details {
                                serde_json::Value::Null => String::new(),
                                serde_json::Value::Object(m) if m.is_empty() => String::new(),
                                other => other.to_string(),
                            };
                            view! {
                                <tr>
                                    <td class="nowrap">{when(&e.occurred_at)}</td>
                                    <td>{e.actor}</td>
                                    <td><code class="verb">{e.action}</code></td>
                                    <td class="wrap">{target}</td>
                                    {(!compact).then(|| view! {
                                        <td>{e.ip.unwrap_or_default()}</td>
                                        <td><code class="details">{details}</code></td>
                                    })}
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[component]
fn FilterInput(
    #[prop(into)] id: String,
    #[prop(into)] label: String,
    value: RwSignal<String>,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional, into)] hint: Option<String>,
) -> impl IntoView {
    let hint_id = format!("{id}-hint");
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <input
                id=id
                type=kind
                bind:value=value
                aria-describedby=hint.as_ref().map(|_| hint_id.clone())
            />
            {hint.map(|h| view! { <small id=hint_id class="hint">{h}</small> })}
        </div>
    }
}

#[component]
pub fn AuditLog() -> impl IntoView {
    let actor = RwSignal::new(String::new());
    let action = RwSignal::new(String::new());
    let target_type = RwSignal::new(String::new());
    let target_id = RwSignal::new(String::new());
    let from = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    let applied = RwSignal::new(AuditFilter::default());
    let pager = RwSignal::new(Pager::default());
    let events = LocalResource::new(move || {
        let path = applied.with(|f| pager.with(|p| paths::audit(f, p.cursor())));
        async move { client::get::<Page<AuditEventView>>(&path).await }
    });
    let apply = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        applied.set(AuditFilter {
            actor: actor.get(),
            action: action.get(),
            target_type: target_type.get(),
            target_id: target_id.get(),
            from: from.get(),
            to: to.get(),
        });
        pager.update(Pager::reset);
    };
    let clear = move |_| {
        for s in [actor, action, target_type, target_id, from, to] {
            s.set(String::new());
        }
        applied.set(AuditFilter::default());
        pager.update(Pager::reset);
    };
    view! {
        <PageTitle title="Audit log"/>
        <form class="filters" on:submit=apply aria-label="Filter the audit log">
            <FilterInput id="f-actor" label="Actor" value=actor hint="cli, system, user:<id>, client:<client_id>"/>
            <FilterInput id="f-action" label="Action" value=action hint="e.g. grants.revoked"/>
            <FilterInput id="f-target-type" label="Target type" value=target_type hint="user, client, grant…"/>
            <FilterInput id="f-target-id" label="Target ID" value=target_id/>
            <FilterInput id="f-from" label="From (UTC)" value=from kind="datetime-local"/>
            <FilterInput id="f-to" label="Until (UTC)" value=to kind="datetime-local"/>
            <div class="filter-actions">
                <button type="submit" class="primary">"Apply filters"</button>
                <button type="button" on:click=clear>"Clear"</button>
            </div>
        </form>
        {async_view(events, "audit events", move |page: Page<AuditEventView>| {
            let empty = page.items.is_empty();
            let nav = view! { <PagerNav pager=pager page=page.clone() label="Audit log pages"/> };
            view! {
                {if empty {
                    view! { <p class="muted">"No events match."</p> }.into_any()
                } else {
                    audit_rows(page.items, false).into_any()
                }}
                {nav}
            }
        })}
    }
}
