//! One user: profile and roles, two-step verification, sessions, and grants; ending sessions and
//! revoking grants go through the dry-run confirmation, turning off two-step verification through
//! the browser's confirmation.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;
use uuid::Uuid;
use valet_admin_api::{GrantView, MfaView, Page, SessionView, UserView};

use crate::api::{ApiError, client, paths};
use crate::components::{PageTitle, PagerNav, StatusLine, async_view, badge, href};
use crate::format::{maybe_when, when};
use crate::pages::clients::detail::grant_table;
use crate::pages::grants::revoke::{RevocationDialog, RevocationRequest};
use crate::paging::Pager;

#[component]
pub fn UserDetail() -> impl IntoView {
    let params = use_params_map();
    let id =
        Memo::new(move |_| params.with(|p| p.get("id").and_then(|id| Uuid::parse_str(&id).ok())));
    view! {
        <p class="breadcrumb"><A href=href("/users")>"Users"</A></p>
        {move || match id.get() {
            Some(id) => view! { <UserPage id=id/> }.into_any(),
            None => view! {
                <PageTitle title="No such user"/>
                <p>"This address does not name a user."</p>
            }
            .into_any(),
        }}
    }
}

#[component]
fn UserPage(id: Uuid) -> impl IntoView {
    let status = RwSignal::new(None::<String>);
    let revocation = RwSignal::new(None::<RevocationRequest>);
    let user = LocalResource::new(move || client::get::<UserView>(paths::user(id)));
    let sessions =
        LocalResource::new(move || client::get::<Page<SessionView>>(paths::user_sessions(id)));
    let pager = RwSignal::new(Pager::default());
    let grants = LocalResource::new(move || {
        let path = pager.with(|p| paths::grants_of_user(id, p.cursor()));
        async move { client::get::<Page<GrantView>>(&path).await }
    });
    let refresh_all = Callback::new(move |()| {
        user.refetch();
        sessions.refetch();
        grants.refetch();
    });
    let username = Signal::derive(move || user.get().and_then(Result::ok).map(|u| u.username));
    let has_email = Signal::derive(move || {
        user.get()
            .and_then(Result::ok)
            .is_some_and(|u| u.claims.contains_key("email"))
    });
    let title = Signal::derive(move || username.get().unwrap_or_else(|| "User".into()));
    view! {
        <PageTitle title=title/>
        <StatusLine status=status/>
        {async_view(user, "the user", move |u: UserView| {
            view! { <Profile user=u status=status revocation=revocation on_change=refresh_all/> }
        })}
        <TwoStep id=id username=username has_email=has_email status=status/>
        <section aria-labelledby="user-sessions">
            <h2 id="user-sessions">"Sessions"</h2>
            {async_view(sessions, "sessions", move |page: Page<SessionView>| {
                session_table(page.items, revocation, username.get())
            })}
        </section>
        <section aria-labelledby="user-grants">
            <h2 id="user-grants">"Grants"</h2>
            {async_view(grants, "grants", move |page: Page<GrantView>| {
                let nav = view! { <PagerNav pager=pager page=page.clone() label="Grant pages"/> };
                view! { {grant_table(page.items, revocation, username.get())} {nav} }
            })}
        </section>
        <RevocationDialog request=revocation on_done=refresh_all/>
    }
}

#[component]
fn Profile(
    user: UserView,
    status: RwSignal<Option<String>>,
    revocation: RwSignal<Option<RevocationRequest>>,
    on_change: Callback<()>,
) -> impl IntoView {
    let id = user.id;
    let name = user.username.clone();
    let ask = move |kind: &'static str| {
        let request = match kind {
            "disable" => RevocationRequest {
                title: "Disable user".into(),
                action: format!("Disabling {name}"),
                preview: paths::user_action(id, "disable", true),
                commit: ("POST", paths::user_action(id, "disable", false)),
                confirm: "Disable user".into(),
            },
            "sessions" => RevocationRequest {
                title: "End every session".into(),
                action: format!("Ending every session of {name}"),
                preview: paths::user_action(id, "sessions/end", true),
                commit: ("POST", paths::user_action(id, "sessions/end", false)),
                confirm: "End sessions".into(),
            },
            _ => RevocationRequest {
                title: "Revoke every grant".into(),
                action: format!("Revoking every grant of {name}"),
                preview: paths::user_action(id, "grants/revoke", true),
                commit: ("POST", paths::user_action(id, "grants/revoke", false)),
                confirm: "Revoke all grants".into(),
            },
        };
        revocation.set(Some(request));
    };
    let enable = move |_| {
        spawn_local(async move {
            let answer: Result<UserView, ApiError> =
                client::act("POST", &paths::user_action(id, "enable", false)).await;
            status.set(Some(match answer {
                Ok(_) => "The user is enabled.".into(),
                Err(e) => e.to_string(),
            }));
            on_change.run(());
        });
    };
    let unverified = user.claims.get("email").and_then(|e| e.as_str()).is_some()
        && user.claims.get("email_verified") != Some(&serde_json::Value::Bool(true));
    let send_verification = move |_| {
        spawn_local(async move {
            let path = paths::user_action(id, "email/verify", false);
            status.set(Some(match client::act_quietly("POST", &path).await {
                Ok(()) => "A verification link is on its way to the user's address.".into(),
                Err(e) => e.to_string(),
            }));
        });
    };
    let (ask1, ask2, ask3) = (ask.clone(), ask.clone(), ask);
    let claims: Vec<(String, String)> = user
        .claims
        .iter()
        .map(|(k, v)| {
            let text = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
            (k.clone(), text)
        })
        .collect();
    view! {
        <div class="toolbar">
            {if user.disabled {
                view! { <button type="button" on:click=enable>"Enable"</button> }.into_any()
            } else {
                view! { <button type="button" on:click=move |_| ask1("disable")>"Disable…"</button> }.into_any()
            }}
            {unverified.then(|| view! {
                <button type="button" on:click=send_verification>"Send verification email"</button>
            })}
            <button type="button" on:click=move |_| ask2("sessions")>"End all sessions…"</button>
            <button type="button" class="danger" on:click=move |_| ask3("grants")>"Revoke all grants…"</button>
        </div>
        <dl class="facts">
            <dt>"Username"</dt><dd>{user.username.clone()}</dd>
            <dt>"ID"</dt><dd><code>{user.id.to_string()}</code></dd>
            <dt>"State"</dt><dd>{badge(!user.disabled, "active", "disabled")}</dd>
            <dt>"Roles"</dt>
            <dd>{if user.roles.is_empty() { "none".to_owned() } else { user.roles.join(", ") }}</dd>
            {claims
                .into_iter()
                .map(|(k, v)| view! { <dt>{k}</dt><dd>{v}</dd> })
                .collect_view()}
            <dt>"Created"</dt><dd>{when(&user.created_at)}</dd>
            <dt>"Updated"</dt><dd>{when(&user.updated_at)}</dd>
        </dl>
    }
}

/// Whether the user has an authenticator app, and the way to turn it off for one who lost it.
#[component]
fn TwoStep(
    id: Uuid,
    username: Signal<Option<String>>,
    has_email: Signal<bool>,
    status: RwSignal<Option<String>>,
) -> impl IntoView {
    let mfa = LocalResource::new(move || client::get::<MfaView>(paths::user_mfa(id)));
    let reset = move |_| {
        let who = username
            .get_untracked()
            .unwrap_or_else(|| "this user".into());
        let question = format!(
            "Turn off two-step verification for {who}? Their authenticator app and recovery codes stop working; they can set it up again on their account page."
        );
        let confirmed = web_sys::window()
            .and_then(|w| w.confirm_with_message(&question).ok())
            .unwrap_or(false);
        if !confirmed {
            return;
        }
        let told = has_email.get_untracked();
        spawn_local(async move {
            let path = paths::user_action(id, "mfa/reset", false);
            status.set(Some(match client::act_quietly("POST", &path).await {
                Ok(()) if told => {
                    format!("Two-step verification of {who} is off; they were told by mail.")
                }
                Ok(()) => format!("Two-step verification of {who} is off."),
                Err(e) => e.to_string(),
            }));
            mfa.refetch();
        });
    };
    view! {
        <section aria-labelledby="user-two-step">
            <h2 id="user-two-step">"Two-step verification"</h2>
            {async_view(mfa, "two-step verification", move |m: MfaView| {
                if m.enabled {
                    view! {
                        <p id="two-step-state">
                            {format!("On: an authenticator app, {} recovery codes left.", m.recovery_codes_left)}
                        </p>
                        <div class="toolbar">
                            <button type="button" class="danger" on:click=reset>"Turn off two-step verification…"</button>
                        </div>
                    }
                    .into_any()
                } else {
                    view! { <p id="two-step-state">"Off."</p> }.into_any()
                }
            })}
        </section>
    }
}

fn session_table(
    items: Vec<SessionView>,
    revocation: RwSignal<Option<RevocationRequest>>,
    username: Option<String>,
) -> AnyView {
    if items.is_empty() {
        return view! { <p class="muted">"No sessions."</p> }.into_any();
    }
    view! {
        <div class="table-wrap">
            <table>
                <thead>
                    <tr>
                        <th scope="col">"Signed in"</th>
                        <th scope="col">"Methods"</th>
                        <th scope="col">"Last seen"</th>
                        <th scope="col">"Expires"</th>
                        <th scope="col">"IP"</th>
                        <th scope="col">"Browser"</th>
                        <th scope="col">"State"</th>
                        <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody>
                    {items
                        .into_iter()
                        .map(|s| {
                            let who = username.clone().unwrap_or_else(|| "this user".into());
                            let request = RevocationRequest {
                                title: "End session".into(),
                                action: format!(
                                    "Ending the session of {who} signed in {}",
                                    when(&s.auth_time)
                                ),
                                preview: paths::end_session(s.id, true),
                                commit: ("POST", paths::end_session(s.id, false)),
                                confirm: "End session".into(),
                            };
                            let label = format!("End the session signed in {}", when(&s.auth_time));
                            let state = if s.active {
                                "active".to_owned()
                            } else {
                                format!("ended {}", maybe_when(s.ended_at.as_ref()))
                            };
                            view! {
                                <tr>
                                    <td class="nowrap">{when(&s.auth_time)}</td>
                                    <td>{s.amr.join(", ")}</td>
                                    <td class="nowrap">{when(&s.last_seen_at)}</td>
                                    <td class="nowrap">{when(&s.expires_at)}</td>
                                    <td>{s.ip.clone().unwrap_or_default()}</td>
                                    <td class="wrap">{s.user_agent.clone().unwrap_or_default()}</td>
                                    <td>{state}</td>
                                    <td>
                                        {s.active.then(|| view! {
                                            <button
                                                type="button"
                                                class="danger small"
                                                aria-label=label
                                                on:click=move |_| revocation.set(Some(request.clone()))
                                            >
                                                "End…"
                                            </button>
                                        })}
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}
