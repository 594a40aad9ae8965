//! One client: its registration, its live grants, and what can be done to it (edit, disable or
//! enable, rotate the secret, revoke its grants, delete), each revocation confirmed from a dry run.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map};
use valet_admin_api::{ClientView, GrantView, Page, RotatedSecret, SecretRotation};

use crate::api::{ApiError, client, paths, url_segment};
use crate::components::{ErrorBox, Modal, PageTitle, StatusLine, async_view, badge, href};
use crate::format::{maybe_when, when};
use crate::pages::grants::revoke::{RevocationDialog, RevocationRequest};

/// The route's `:client_id`, decoded.
pub fn client_id_param() -> Memo<String> {
    let params = use_params_map();
    Memo::new(move |_| {
        let raw = params.with(|p| p.get("client_id").unwrap_or_default());
        crate::url::decode(&raw).unwrap_or(raw)
    })
}

#[component]
pub fn ClientDetail() -> impl IntoView {
    let client_id = client_id_param();
    let status = RwSignal::new(None::<String>);
    let revocation = RwSignal::new(None::<RevocationRequest>);
    let rotating = RwSignal::new(false);
    let loaded = LocalResource::new(move || {
        let path = paths::client(&client_id.get());
        async move { client::get::<ClientView>(&path).await }
    });
    let grants = LocalResource::new(move || {
        let path = paths::grants_of_client(&client_id.get(), true);
        async move { client::get::<Page<GrantView>>(&path).await }
    });
    // After a delete went through, leave once its dialog is closed.
    let deleted = RwSignal::new(false);
    let navigate = use_navigate();
    Effect::new(move |_| {
        if deleted.get() && revocation.with(Option::is_none) {
            navigate("/clients", Default::default());
        }
    });
    let on_done = Callback::new(move |()| {
        let deleting =
            revocation.with_untracked(|r| r.as_ref().is_some_and(|r| r.commit.0 == "DELETE"));
        if deleting {
            deleted.set(true);
        } else {
            loaded.refetch();
            grants.refetch();
        }
    });
    let title = Signal::derive(move || {
        loaded
            .get()
            .and_then(Result::ok)
            .map_or_else(|| client_id.get(), |c| c.registration.client_name)
    });
    view! {
        <p class="breadcrumb"><A href=href("/clients")>"Clients"</A></p>
        <PageTitle title=title/>
        <StatusLine status=status/>
        {async_view(loaded, "the client", move |c: ClientView| {
            view! { <ClientActions client=c status=status revocation=revocation rotating=rotating/> }
        })}
        <section aria-labelledby="client-grants">
            <h2 id="client-grants">"Live grants"</h2>
            {async_view(grants, "grants", move |page: Page<GrantView>| {
                grant_table(page.items, revocation, None)
            })}
        </section>
        <RevocationDialog request=revocation on_done=on_done/>
        <Modal open=rotating title="Rotate the client secret">
            <RotateSecret client_id=client_id.get_untracked() open=rotating/>
        </Modal>
    }
}

#[component]
fn ClientActions(
    client: ClientView,
    status: RwSignal<Option<String>>,
    revocation: RwSignal<Option<RevocationRequest>>,
    rotating: RwSignal<bool>,
) -> impl IntoView {
    let r = client.registration.clone();
    let id = r.client_id.clone();
    let name = r.client_name.clone();
    let has_secret = matches!(
        r.token_endpoint_auth_method.as_deref(),
        Some("client_secret_basic" | "client_secret_post") | None
    );
    let ask = {
        let (id, name) = (id.clone(), name.clone());
        move |kind: &'static str| {
            let subject = format!("{name} ({id})");
            let request = match kind {
                "disable" => RevocationRequest {
                    title: "Disable client".into(),
                    action: format!("Disabling {subject}"),
                    preview: paths::client_action(&id, "disable", true),
                    commit: ("POST", paths::client_action(&id, "disable", false)),
                    confirm: "Disable client".into(),
                },
                "revoke" => RevocationRequest {
                    title: "Revoke every grant to this client".into(),
                    action: format!("Revoking every grant to {subject}"),
                    preview: paths::client_action(&id, "grants/revoke", true),
                    commit: ("POST", paths::client_action(&id, "grants/revoke", false)),
                    confirm: "Revoke all grants".into(),
                },
                _ => RevocationRequest {
                    title: "Delete client".into(),
                    action: format!("Deleting {subject}"),
                    preview: paths::client_action(&id, "grants/revoke", true),
                    commit: ("DELETE", paths::client(&id)),
                    confirm: "Delete client".into(),
                },
            };
            revocation.set(Some(request));
        }
    };
    let enable = {
        let id = id.clone();
        move |_| {
            let path = paths::client_action(&id, "enable", false);
            spawn_local(async move {
                let result = client::act::<ClientView>("POST", &path).await;
                status.set(Some(match result {
                    Ok(_) => "The client is enabled.".into(),
                    Err(e) => e.to_string(),
                }));
            });
        }
    };
    let (ask1, ask2, ask3) = (ask.clone(), ask.clone(), ask);
    let edit_href = href(&format!("/clients/{}/edit", url_segment(&id)));
    view! {
        <div class="toolbar">
            <A href=edit_href attr:class="button">"Edit"</A>
            {if client.disabled {
                view! { <button type="button" on:click=enable>"Enable"</button> }.into_any()
            } else {
                view! { <button type="button" on:click=move |_| ask1("disable")>"Disable…"</button> }
                    .into_any()
            }}
            {has_secret
                .then(|| view! { <button type="button" on:click=move |_| rotating.set(true)>"Rotate secret…"</button> })}
            <button type="button" on:click=move |_| ask2("revoke")>"Revoke all grants…"</button>
            <button type="button" class="danger" on:click=move |_| ask3("delete")>"Delete…"</button>
        </div>
        <dl class="facts">
            <dt>"Client ID"</dt><dd><code>{r.client_id.clone()}</code></dd>
            <dt>"State"</dt><dd>{badge(!client.disabled, "enabled", "disabled")}</dd>
            <dt>"Type"</dt>
            <dd>
                {if client.public { "public" } else { "confidential" }} ", "
                {r.application_type.clone().unwrap_or_else(|| "web".into())} " application"
            </dd>
            <dt>"Token endpoint authentication"</dt><dd>{r.token_endpoint_auth_method.clone().unwrap_or_default()}</dd>
            <dt>"Grant types"</dt><dd>{r.grant_types.clone().unwrap_or_default().join(", ")}</dd>
            <dt>"Scopes"</dt><dd>{r.scope.clone().unwrap_or_default()}</dd>
            <dt>"Redirect URIs"</dt><dd>{uri_list(&r.redirect_uris)}</dd>
            <dt>"Post-logout redirect URIs"</dt><dd>{uri_list(&r.post_logout_redirect_uris)}</dd>
            <dt>"Back-channel logout"</dt>
            <dd>{r.backchannel_logout_uri.clone().unwrap_or_else(|| "—".into())}</dd>
            <dt>"Front-channel logout"</dt>
            <dd>{r.frontchannel_logout_uri.clone().unwrap_or_else(|| "—".into())}</dd>
            <dt>"ID token algorithm"</dt><dd>{r.id_token_signed_response_alg.clone().unwrap_or_default()}</dd>
            <dt>"First party (no consent)"</dt><dd>{badge(r.first_party, "yes", "no")}</dd>
            <dt>"Always issue refresh tokens"</dt><dd>{badge(r.always_issue_refresh_token, "yes", "no")}</dd>
            <dt>"Access token lifetime"</dt><dd>{seconds(r.access_token_ttl_secs)}</dd>
            <dt>"Refresh token lifetime"</dt><dd>{seconds(r.refresh_token_ttl_secs)}</dd>
            <dt>"Created"</dt><dd>{when(&client.created_at)}</dd>
            <dt>"Updated"</dt><dd>{when(&client.updated_at)}</dd>
        </dl>
    }
}

fn seconds(value: Option<i64>) -> String {
    value.map_or_else(|| "policy default".into(), |s| format!("{s} s"))
}

fn uri_list(uris: &[String]) -> AnyView {
    if uris.is_empty() {
        return view! { "—" }.into_any();
    }
    view! {
        <ul class="plain">
            {uris.iter().map(|u| view! { <li><code>{u.clone()}</code></li> }).collect_view()}
        </ul>
    }
    .into_any()
}

/// A table of grants with a revoke button each; also used on the user page.
pub fn grant_table(
    items: Vec<GrantView>,
    revocation: RwSignal<Option<RevocationRequest>>,
    username: Option<String>,
) -> AnyView {
    if items.is_empty() {
        return view! { <p class="muted">"No grants."</p> }.into_any();
    }
    let show_user = username.is_none();
    view! {
        <div class="table-wrap">
            <table>
                <thead>
                    <tr>
                        <th scope="col">"Client"</th>
                        {show_user.then(|| view! { <th scope="col">"User"</th> })}
                        <th scope="col">"Scopes"</th>
                        <th scope="col">"Granted"</th>
                        <th scope="col">"Last used"</th>
                        <th scope="col">"Refresh tokens"</th>
                        <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody>
                    {items
                        .into_iter()
                        .map(|g| {
                            let client_href = href(&format!("/clients/{}", url_segment(&g.client_id)));
                            let user_href = href(&format!("/users/{}", g.user_id));
                            let request = RevocationRequest {
                                title: "Revoke grant".into(),
                                action: format!(
                                    "Revoking the grant of {} to {} ({})",
                                    username
                                        .clone()
                                        .unwrap_or_else(|| format!("user {}", g.user_id)),
                                    g.client_name,
                                    g.client_id
                                ),
                                preview: paths::revoke_grant(g.id, true),
                                commit: ("POST", paths::revoke_grant(g.id, false)),
                                confirm: "Revoke grant".into(),
                            };
                            let revoked = g.revoked_at.is_some();
                            let label = format!("Revoke the grant to {}", g.client_name);
                            view! {
                                <tr>
                                    <td><A href=client_href>{g.client_name.clone()}</A></td>
                                    {show_user.then(|| view! { <td><A href=user_href>"open user"</A></td> })}
                                    <td>{g.scopes.join(" ")}</td>
                                    <td class="nowrap">{when(&g.created_at)}</td>
                                    <td class="nowrap">{maybe_when(g.last_used_at.as_ref())}</td>
                                    <td class="num">{g.live_refresh_tokens}</td>
                                    <td>
                                        {if revoked {
                                            view! { <span class="badge">"revoked"</span> }.into_any()
                                        } else {
                                            view! {
                                                <button
                                                    type="button"
                                                    class="danger small"
                                                    aria-label=label
                                                    on:click=move |_| revocation.set(Some(request.clone()))
                                                >
                                                    "Revoke…"
                                                </button>
                                            }
                                                .into_any()
                                        }}
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

/// The secret rotation: how long the old secret stays valid, then the new one, shown once.
#[component]
fn RotateSecret(client_id: String, open: RwSignal<bool>) -> impl IntoView {
    let overlap = RwSignal::new("3600".to_owned());
    let result = RwSignal::new(None::<Result<RotatedSecret, ApiError>>);
    let busy = RwSignal::new(false);
    let rotate = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        busy.set(true);
        let path = paths::client_action(&client_id, "secret", false);
        let body = SecretRotation {
            overlap_secs: overlap.get_untracked().parse().unwrap_or(0),
        };
        spawn_local(async move {
            let answer = client::send::<_, RotatedSecret>("POST", &path, &body).await;
            busy.try_set(false);
            result.try_set(Some(answer));
        });
    };
    move || {
        match result.get() {
        None => view! {
            <form on:submit=rotate.clone()>
                <p class="dialog-text">
                    "A new secret is generated and shown once. The relying party must be given it."
                </p>
                <div class="field">
                    <label for="overlap">"Keep the old secret valid for"</label>
                    <select id="overlap" bind:value=overlap>
                        <option value="0">"no time: replace it at once"</option>
                        <option value="3600">"1 hour"</option>
                        <option value="86400">"1 day"</option>
                        <option value="604800">"7 days"</option>
                    </select>
                </div>
                <div class="dialog-actions">
                    <button type="button" on:click=move |_| open.set(false)>"Cancel"</button>
                    <button type="submit" class="danger" disabled=move || busy.get()>"Rotate secret"</button>
                </div>
            </form>
        }
        .into_any(),
        Some(Ok(rotated)) => view! {
            <p role="status">"The new secret (shown only this once):"</p>
            <p><code class="secret">{rotated.client_secret}</code></p>
            <p class="muted">
                {rotated
                    .previous_secret_expires_at
                    .map_or_else(
                        || "The old secret no longer works.".to_owned(),
                        |at| format!("The old secret works until {}.", when(&at)),
                    )}
            </p>
            <div class="dialog-actions">
                <button type="button" autofocus on:click=move |_| open.set(false)>"Done"</button>
            </div>
        }
        .into_any(),
        Some(Err(e)) => view! {
            <ErrorBox error=e/>
            <div class="dialog-actions">
                <button type="button" on:click=move |_| open.set(false)>"Close"</button>
            </div>
        }
        .into_any(),
    }
    }
}
