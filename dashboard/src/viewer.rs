//! Who is looking, behind the stack's sign-in: the namespaces the sign-in function lists
//! in the `fjc_namespaces` cookie (`payments.refunds`, or `*`), a picker when there are
//! several, and a sign-out link. The cookie is for display only: the edge decides what
//! may be read from the signed session, and serves `snapshot.json?ns=<namespace>` as that
//! namespace's overview. Without the cookie (`fjc dashboard serve`, any static host) none
//! of this shows.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// The cookie's namespaces, from a `document.cookie` string: `None` without the cookie or
/// with an empty one; `Some(["*"])` for every namespace.
pub fn namespaces_from_cookies(cookies: &str) -> Option<Vec<String>> {
    let value = cookies
        .split(';')
        .filter_map(|c| c.trim().split_once('='))
        .find(|(name, _)| *name == "fjc_namespaces")
        .map(|(_, v)| v.trim())?;
    let names: Vec<String> = value
        .split('.')
        .filter(|n| !n.is_empty())
        .map(str::to_string)
        .collect();
    (!names.is_empty()).then_some(names)
}

/// The snapshot's address: `?snapshot=URL` as given, else `snapshot.json`, with the
/// chosen namespace as `?ns=` (the same rule as `index.html`'s early download).
pub fn snapshot_url(
    snapshot: Option<&str>,
    namespace: Option<&str>,
    encode: impl Fn(&str) -> String,
) -> String {
    match (
        snapshot.filter(|s| !s.is_empty()),
        namespace.filter(|n| !n.is_empty()),
    ) {
        (Some(url), _) => url.to_string(),
        (None, Some(ns)) => format!("snapshot.json?ns={}", encode(ns)),
        (None, None) => "snapshot.json".to_string(),
    }
}

fn document_cookies() -> String {
    document()
        .dyn_into::<web_sys::HtmlDocument>()
        .ok()
        .and_then(|d| d.cookie().ok())
        .unwrap_or_default()
}

fn query(name: &str) -> Option<String> {
    let search = window().location().search().unwrap_or_default();
    web_sys::UrlSearchParams::new_with_str(&search)
        .ok()?
        .get(name)
}

/// Goes to the same page showing `namespace`'s overview.
fn show(namespace: &str) {
    let search = window().location().search().unwrap_or_default();
    if let Ok(params) = web_sys::UrlSearchParams::new_with_str(&search) {
        params.set("ns", namespace);
        let _ = window()
            .location()
            .set_search(&String::from(params.to_string()));
    }
}

/// The namespace picker and sign-out link, in the header.
#[component]
pub fn Viewer() -> impl IntoView {
    let Some(namespaces) = namespaces_from_cookies(&document_cookies()) else {
        return ().into_any();
    };
    let all = namespaces.first().map(String::as_str) == Some("*");
    let current = query("ns")
        .filter(|n| namespaces.contains(n))
        .or_else(|| namespaces.first().cloned())
        .unwrap_or_default();
    let picker = (!all && namespaces.len() > 1).then(|| {
        let options = namespaces
            .iter()
            .map(|n| {
                let selected = *n == current;
                view! { <option value=n.clone() selected=selected>{n.clone()}</option> }
            })
            .collect_view();
        view! {
            <label class="namespace-picker">
                "Namespace "
                <select id="namespace-picker" on:change=move |ev| show(&event_target_value(&ev))>
                    {options}
                </select>
            </label>
        }
    });
    let single = (!all && namespaces.len() == 1).then(|| {
        view! { <span id="namespace-name" class="namespace-picker">"Namespace " <strong>{current.clone()}</strong></span> }
    });
    view! {
        <nav class="viewer">
            {picker}
            {single}
            <a id="sign-out" href="/auth/logout">"Sign out"</a>
        </nav>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cookie_names_the_namespaces() {
        let cases: &[(&str, Option<&[&str]>)] = &[
            (
                "fjc_namespaces=payments.refunds",
                Some(&["payments", "refunds"]),
            ),
            ("a=1; fjc_namespaces=*; b=2", Some(&["*"])),
            ("fjc_namespaces=", None),
            ("other=payments", None),
            ("", None),
        ];
        for (cookies, want) in cases {
            let want = want.map(|w| w.iter().map(|s| s.to_string()).collect::<Vec<_>>());
            assert_eq!(namespaces_from_cookies(cookies), want, "{cookies}");
        }
    }

    #[test]
    fn the_snapshot_url_takes_the_namespace_unless_a_snapshot_is_given() {
        let enc = |s: &str| s.replace(' ', "%20");
        assert_eq!(snapshot_url(None, None, enc), "snapshot.json");
        assert_eq!(
            snapshot_url(None, Some("payments"), enc),
            "snapshot.json?ns=payments"
        );
        assert_eq!(
            snapshot_url(Some("x.json"), Some("payments"), enc),
            "x.json"
        );
        assert_eq!(snapshot_url(Some(""), Some(""), enc), "snapshot.json");
    }
}
