//! The client form, shared by `new` and `edit`. Field errors from the API's problem details appear beside
//! their inputs (`aria-invalid`, `aria-describedby`), listed in a summary that takes focus.

use leptos::prelude::*;
use leptos::task::spawn_local;
use valet_admin_api::{ClientView, CreatedClient};
use wasm_bindgen::JsCast;

use crate::api::{ApiError, client, paths};
use crate::forms::{
    AUTH_METHODS, CLIENT_FIELDS, ClientForm, FieldErrors, GRANT_TYPES, SIGNING_ALGS,
    client_field_label,
};

/// One labelled input with its hint and error.
#[component]
fn Field(
    name: &'static str,
    label: &'static str,
    errors: RwSignal<FieldErrors>,
    #[prop(optional)] hint: Option<&'static str>,
    children: Children,
) -> impl IntoView {
    view! {
        <div class="field" class:invalid=move || errors.with(|e| e.get(name).is_some())>
            <label for=name>{label}</label>
            {children()}
            {hint.map(|h| view! { <small id=format!("{name}-hint") class="hint">{h}</small> })}
            <p id=format!("{name}-error") class="error-text">
                {move || errors.with(|e| e.get(name))}
            </p>
        </div>
    }
}

fn described_by(name: &str, hint: bool) -> String {
    if hint {
        format!("{name}-hint {name}-error")
    } else {
        format!("{name}-error")
    }
}

#[component]
pub fn ClientFormView(
    initial: ClientForm,
    editing: bool,
    on_saved: Callback<CreatedClient>,
) -> impl IntoView {
    let original_id = initial.client_id.clone();
    let text = |v: &str| RwSignal::new(v.to_owned());
    let client_id = text(&initial.client_id);
    let client_name = text(&initial.client_name);
    let application_type = text(&initial.application_type);
    let auth_method = text(&initial.token_endpoint_auth_method);
    let grant_types = RwSignal::new(initial.grant_types.clone());
    let scope = text(&initial.scope);
    let redirect_uris = text(&initial.redirect_uris);
    let post_logout = text(&initial.post_logout_redirect_uris);
    let backchannel = text(&initial.backchannel_logout_uri);
    let backchannel_sid = RwSignal::new(initial.backchannel_logout_session_required);
    let frontchannel = text(&initial.frontchannel_logout_uri);
    let frontchannel_sid = RwSignal::new(initial.frontchannel_logout_session_required);
    let alg = text(&initial.id_token_signed_response_alg);
    let first_party = RwSignal::new(initial.first_party);
    let always_refresh = RwSignal::new(initial.always_issue_refresh_token);
    let access_ttl = text(&initial.access_token_ttl_secs);
    let refresh_ttl = text(&initial.refresh_token_ttl_secs);
    let client_uri = text(&initial.client_uri);
    let logo_uri = text(&initial.logo_uri);
    let policy_uri = text(&initial.policy_uri);
    let tos_uri = text(&initial.tos_uri);
    let contacts = text(&initial.contacts);

    let errors = RwSignal::new(FieldErrors::default());
    let failure = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let summary = NodeRef::<leptos::html::Div>::new();
    let focus_summary = move || {
        if let Some(el) = summary.get_untracked() {
            let _ = el.focus();
        }
    };

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let form = ClientForm {
            client_id: client_id.get(),
            client_name: client_name.get(),
            application_type: application_type.get(),
            token_endpoint_auth_method: auth_method.get(),
            grant_types: grant_types.get(),
            scope: scope.get(),
            redirect_uris: redirect_uris.get(),
            post_logout_redirect_uris: post_logout.get(),
            backchannel_logout_uri: backchannel.get(),
            backchannel_logout_session_required: backchannel_sid.get(),
            frontchannel_logout_uri: frontchannel.get(),
            frontchannel_logout_session_required: frontchannel_sid.get(),
            id_token_signed_response_alg: alg.get(),
            first_party: first_party.get(),
            always_issue_refresh_token: always_refresh.get(),
            access_token_ttl_secs: access_ttl.get(),
            refresh_token_ttl_secs: refresh_ttl.get(),
            client_uri: client_uri.get(),
            logo_uri: logo_uri.get(),
            policy_uri: policy_uri.get(),
            tos_uri: tos_uri.get(),
            contacts: contacts.get(),
        };
        failure.set(None);
        let input = match form.to_input() {
            Ok(input) => input,
            Err(found) => {
                errors.set(found);
                request_animation_frame(focus_summary);
                return;
            }
        };
        errors.set(FieldErrors::default());
        busy.set(true);
        let original_id = original_id.clone();
        spawn_local(async move {
            let answer = if editing {
                client::send::<_, ClientView>("PUT", &paths::client(&original_id), &input)
                    .await
                    .map(|client| CreatedClient {
                        client,
                        client_secret: None,
                    })
            } else {
                client::send::<_, CreatedClient>("POST", "/clients", &input).await
            };
            busy.try_set(false);
            match answer {
                Ok(saved) => on_saved.run(saved),
                Err(e) => {
                    let found = FieldErrors::from_api(e.field_errors(), &CLIENT_FIELDS);
                    if found.is_empty() {
                        failure.try_set(Some(e));
                    } else {
                        errors.try_set(found);
                    }
                    request_animation_frame(focus_summary);
                }
            }
        });
    };

    let text_input =
        move |name: &'static str, value: RwSignal<String>, kind: &'static str, hint: bool| {
            view! {
                <input
                    id=name
                    name=name
                    type=kind
                    bind:value=value
                    aria-invalid=move || errors.with(|e| e.get(name).is_some()).to_string()
                    aria-describedby=described_by(name, hint)
                />
            }
        };
    let textarea = move |name: &'static str, value: RwSignal<String>| {
        view! {
            <textarea
                id=name
                name=name
                rows="3"
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
                aria-invalid=move || errors.with(|e| e.get(name).is_some()).to_string()
                aria-describedby=described_by(name, true)
            ></textarea>
        }
    };
    let select = move |name: &'static str,
                       value: RwSignal<String>,
                       options: &'static [&'static str]| {
        view! {
            <select id=name name=name bind:value=value aria-describedby=described_by(name, false)>
                {options.iter().map(|o| view! { <option value=*o>{*o}</option> }).collect_view()}
            </select>
        }
    };
    let checkbox = move |name: &'static str, label: &'static str, value: RwSignal<bool>| {
        view! {
            <div class="check">
                <input id=name name=name type="checkbox" bind:checked=value/>
                <label for=name>{label}</label>
            </div>
        }
    };

    view! {
        <div
            class="error-summary"
            tabindex="-1"
            node_ref=summary
            role="alert"
            class:hidden=move || errors.with(FieldErrors::is_empty) && failure.with(Option::is_none)
        >
            {move || failure.get().map(|e| view! { <p>{e.to_string()}</p> })}
            {move || {
                (!errors.with(FieldErrors::is_empty))
                    .then(|| {
                        view! {
                            <p>"The client was not saved:"</p>
                            <ul>
                                {errors
                                    .get()
                                    .fields()
                                    .map(|(field, message)| {
                                        let label = client_field_label(field).to_owned();
                                        if field.is_empty() {
                                            return view! { <li>{label}": "{message}</li> }.into_any();
                                        }
                                        let target = if field == "grant_types" {
                                            "grant-authorization_code".to_owned()
                                        } else {
                                            field.to_owned()
                                        };
                                        let href = format!("#{target}");
                                        let jump = move |ev: leptos::ev::MouseEvent| {
                                            ev.prevent_default();
                                            if let Some(el) = document()
                                                .get_element_by_id(&target)
                                                .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
                                            {
                                                let _ = el.focus();
                                            }
                                        };
                                        view! { <li><a href=href on:click=jump>{label}</a>": "{message}</li> }
                                            .into_any()
                                    })
                                    .collect_view()}
                            </ul>
                        }
                    })
            }}
        </div>
        <form class="client-form" on:submit=submit novalidate>
            <fieldset>
                <legend>"Identity"</legend>
                <Field name="client_id" label="Client ID" errors=errors hint="Fixed once registered.">
                    <input
                        id="client_id"
                        name="client_id"
                        type="text"
                        bind:value=client_id
                        readonly=editing
                        autocomplete="off"
                        aria-invalid=move || errors.with(|e| e.get("client_id").is_some()).to_string()
                        aria-describedby=described_by("client_id", true)
                    />
                </Field>
                <Field name="client_name" label="Name" errors=errors>
                    {text_input("client_name", client_name, "text", false)}
                </Field>
                <Field name="application_type" label="Application type" errors=errors>
                    {select("application_type", application_type, &["web", "native"])}
                </Field>
            </fieldset>
            <fieldset>
                <legend>"OAuth"</legend>
                <Field name="token_endpoint_auth_method" label="Token endpoint authentication" errors=errors>
                    {select("token_endpoint_auth_method", auth_method, &AUTH_METHODS)}
                </Field>
                <fieldset class="inline" aria-describedby="grant_types-error">
                    <legend>"Grant types"</legend>
                    {GRANT_TYPES
                        .iter()
                        .map(|g| {
                            let id = format!("grant-{g}");
                            let g = (*g).to_owned();
                            let g2 = g.clone();
                            let g3 = g.clone();
                            view! {
                                <div class="check">
                                    <input
                                        id=id.clone()
                                        type="checkbox"
                                        prop:checked=move || grant_types.with(|list| list.contains(&g))
                                        on:change=move |ev| {
                                            let on = event_target_checked(&ev);
                                            grant_types.update(|list| {
                                                list.retain(|x| x != &g2);
                                                if on {
                                                    list.push(g2.clone());
                                                }
                                            });
                                        }
                                    />
                                    <label for=id>{g3}</label>
                                </div>
                            }
                        })
                        .collect_view()}
                    <p id="grant_types-error" class="error-text">{move || errors.with(|e| e.get("grant_types"))}</p>
                </fieldset>
                <Field name="scope" label="Scopes" errors=errors hint="Space-separated scopes the client may request.">
                    {text_input("scope", scope, "text", true)}
                </Field>
                <Field name="redirect_uris" label="Redirect URIs" errors=errors hint="One per line; matched exactly.">
                    {textarea("redirect_uris", redirect_uris)}
                </Field>
                <Field name="post_logout_redirect_uris" label="Post-logout redirect URIs" errors=errors hint="One per line.">
                    {textarea("post_logout_redirect_uris", post_logout)}
                </Field>
                <Field name="id_token_signed_response_alg" label="ID token signing algorithm" errors=errors>
                    {select("id_token_signed_response_alg", alg, &SIGNING_ALGS)}
                </Field>
                {checkbox("first_party", "First party: skip the consent screen", first_party)}
                {checkbox("always_issue_refresh_token", "Always issue refresh tokens", always_refresh)}
            </fieldset>
            <fieldset>
                <legend>"Logout"</legend>
                <Field name="backchannel_logout_uri" label="Back-channel logout URI" errors=errors>
                    {text_input("backchannel_logout_uri", backchannel, "url", false)}
                </Field>
                {checkbox("backchannel_logout_session_required", "Back-channel logout needs sid", backchannel_sid)}
                <Field name="frontchannel_logout_uri" label="Front-channel logout URI" errors=errors>
                    {text_input("frontchannel_logout_uri", frontchannel, "url", false)}
                </Field>
                {checkbox("frontchannel_logout_session_required", "Front-channel logout needs iss and sid", frontchannel_sid)}
            </fieldset>
            <fieldset>
                <legend>"Token lifetimes"</legend>
                <Field name="access_token_ttl_secs" label="Access token lifetime (seconds)" errors=errors hint="Empty: the policy's default.">
                    {text_input("access_token_ttl_secs", access_ttl, "number", true)}
                </Field>
                <Field name="refresh_token_ttl_secs" label="Refresh token lifetime (seconds)" errors=errors hint="Empty: the policy's default.">
                    {text_input("refresh_token_ttl_secs", refresh_ttl, "number", true)}
                </Field>
            </fieldset>
            <fieldset>
                <legend>"About"</legend>
                <Field name="client_uri" label="Home page" errors=errors>
                    {text_input("client_uri", client_uri, "url", false)}
                </Field>
                <Field name="logo_uri" label="Logo URI" errors=errors>
                    {text_input("logo_uri", logo_uri, "url", false)}
                </Field>
                <Field name="policy_uri" label="Privacy policy URI" errors=errors>
                    {text_input("policy_uri", policy_uri, "url", false)}
                </Field>
                <Field name="tos_uri" label="Terms of service URI" errors=errors>
                    {text_input("tos_uri", tos_uri, "url", false)}
                </Field>
                <Field name="contacts" label="Contacts" errors=errors hint="E-mail addresses, one per line.">
                    {textarea("contacts", contacts)}
                </Field>
            </fieldset>
            <div class="form-actions">
                <button type="submit" class="primary" disabled=move || busy.get()>
                    {move || match (busy.get(), editing) {
                        (true, _) => "Saving…",
                        (false, true) => "Save changes",
                        (false, false) => "Register client",
                    }}
                </button>
            </div>
        </form>
    }
}
