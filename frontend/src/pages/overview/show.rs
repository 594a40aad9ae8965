//! The overview: counts, the latest audit events, and back-channel deliveries that failed.

use leptos::prelude::*;
use leptos_router::components::A;
use valet_admin_api::{AuditEventView, NotificationView, Overview as Counts, Page};

use crate::api::{client, paths};
use crate::components::{PageTitle, async_view, href};
use crate::format::when;
use crate::pages::audit::list::audit_rows;

#[component]
pub fn Overview() -> impl IntoView {
    let counts = LocalResource::new(|| client::get::<Counts>(paths::overview()));
    let recent = LocalResource::new(|| {
        client::get::<Page<AuditEventView>>(crate::url::with_query(
            "/audit",
            [("limit", Some("10"))],
        ))
    });
    let failing = LocalResource::new(|| {
        client::get::<Page<NotificationView>>(paths::notifications(Some("failed"), None, "10"))
    });
    view! {
        <PageTitle title="Overview"/>
        <section aria-labelledby="counts-title">
            <h2 id="counts-title" class="visually-hidden">"Counts"</h2>
            {async_view(counts, "the counts", |c: Counts| {
                let card = |label: &'static str, n: u64, alert: bool| {
                    let class = if alert && n > 0 { "count alert" } else { "count" };
                    view! {
                        <li class=class>
                            <span class="count-n">{n}</span>
                            <span class="count-label">{label}</span>
                        </li>
                    }
                };
                view! {
                    <ul class="counts">
                        {card("Users", c.users, false)}
                        {card("Clients", c.clients, false)}
                        {card("Live grants", c.live_grants, false)}
                        {card("Active sessions", c.active_sessions, false)}
                        {card("Pending notifications", c.pending_notifications, false)}
                        {card("Failed notifications", c.failed_notifications, true)}
                    </ul>
                }
            })}
        </section>
        <div class="columns">
            <section aria-labelledby="recent-title">
                <h2 id="recent-title">"Recent activity"</h2>
                {async_view(recent, "recent activity", |page: Page<AuditEventView>| {
                    if page.items.is_empty() {
                        return view! { <p class="muted">"Nothing recorded yet."</p> }.into_any();
                    }
                    view! {
                        {audit_rows(page.items, true)}
                        <p><A href=href("/audit")>"The whole audit log"</A></p>
                    }
                    .into_any()
                })}
            </section>
            <section aria-labelledby="failing-title">
                <h2 id="failing-title">"Failed back-channel notifications"</h2>
                {async_view(failing, "failed notifications", |page: Page<NotificationView>| {
                    if page.items.is_empty() {
                        return view! {
                            <p class="muted">"None: every relying party was reached."</p>
                        }
                        .into_any();
                    }
                    view! {
                        <div class="table-wrap">
                            <table>
                                <thead>
                                    <tr>
                                        <th scope="col">"Queued"</th>
                                        <th scope="col">"Target"</th>
                                        <th scope="col">"Attempts"</th>
                                        <th scope="col">"Last error"</th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {page
                                        .items
                                        .into_iter()
                                        .map(|n| {
                                            view! {
                                                <tr>
                                                    <td>{when(&n.created_at)}</td>
                                                    <td class="wrap">{n.target}</td>
                                                    <td class="num">{n.attempts}</td>
                                                    <td class="wrap">{n.last_error.unwrap_or_default()}</td>
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
            </section>
        </div>
    }
}
