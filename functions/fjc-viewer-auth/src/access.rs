//! Which namespaces a viewer may see, from the groups the identity provider names.
//!
//! Configured as `FJC_AUTH_GROUPS`: `group=ns1,ns2;other-group=*` (`*` is every namespace).
//! A viewer in several groups sees the union; a viewer in none of them is refused.

use std::collections::{BTreeMap, BTreeSet};

use crate::error::AuthError;

/// What a session may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Namespaces {
    /// Every namespace (the all-namespaces snapshot).
    All,
    /// These namespaces, sorted, at least one.
    Some(BTreeSet<String>),
}

impl Namespaces {
    /// The cookie's `ns` claim: `["*"]` or the names.
    pub fn to_claim(&self) -> Vec<String> {
        match self {
            Namespaces::All => vec!["*".to_string()],
            Namespaces::Some(names) => names.iter().cloned().collect(),
        }
    }

    /// Whether `namespace` is visible.
    pub fn contains(&self, namespace: &str) -> bool {
        match self {
            Namespaces::All => true,
            Namespaces::Some(names) => names.contains(namespace),
        }
    }
}

/// Group → namespaces, from configuration.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GroupMap {
    groups: BTreeMap<String, Namespaces>,
}

/// The rule a namespace name follows (the spec's name rule, which the edge checks too):
/// `^[a-z0-9][a-z0-9-]{0,62}$`.
fn is_namespace(name: &str) -> bool {
    let b = name.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && (b[0].is_ascii_lowercase() || b[0].is_ascii_digit())
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
}

impl GroupMap {
    /// Parses `group=ns1,ns2;group2=*`. Blank entries are ignored; a group given twice,
    /// an empty group name, no namespaces, `*` mixed with names, or a name that breaks the
    /// namespace rule is refused, naming the entry.
    pub fn parse(text: &str) -> Result<GroupMap, AuthError> {
        let bad = |reason: String| AuthError::Config {
            name: "FJC_AUTH_GROUPS",
            reason,
        };
        let mut groups = BTreeMap::new();
        for entry in text.split(';').map(str::trim).filter(|e| !e.is_empty()) {
            let Some((group, list)) = entry.split_once('=') else {
                return Err(bad(format!("{entry:?}: expected group=namespace,...")));
            };
            let group = group.trim();
            if group.is_empty() {
                return Err(bad(format!("{entry:?}: empty group name")));
            }
            let names: Vec<&str> = list
                .split(',')
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .collect();
            let namespaces = match names[..] {
                [] => return Err(bad(format!("{entry:?}: no namespaces"))),
                ["*"] => Namespaces::All,
                _ => {
                    if let Some(n) = names.iter().find(|n| !is_namespace(n)) {
                        return Err(bad(format!(
                            "{entry:?}: {n:?} is not a namespace name (a-z, 0-9, -; or * alone)"
                        )));
                    }
                    Namespaces::Some(names.iter().map(|n| n.to_string()).collect())
                }
            };
            if groups.insert(group.to_string(), namespaces).is_some() {
                return Err(bad(format!("group {group:?} is given twice")));
            }
        }
        if groups.is_empty() {
            return Err(bad("no group is mapped, so nobody could sign in".into()));
        }
        Ok(GroupMap { groups })
    }

    /// What a viewer in `groups` may see; `None` when no group is mapped.
    pub fn namespaces_for<S: AsRef<str>>(&self, groups: &[S]) -> Option<Namespaces> {
        let mut names = BTreeSet::new();
        let mut any = false;
        for group in groups {
            match self.groups.get(group.as_ref()) {
                Some(Namespaces::All) => return Some(Namespaces::All),
                Some(Namespaces::Some(ns)) => {
                    any = true;
                    names.extend(ns.iter().cloned());
                }
                None => {}
            }
        }
        any.then_some(Namespaces::Some(names))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn some(names: &[&str]) -> Namespaces {
        Namespaces::Some(names.iter().map(|n| n.to_string()).collect())
    }

    #[test]
    fn groups_map_to_the_union_of_their_namespaces_and_star_wins() {
        let map =
            GroupMap::parse(" admins=* ; pay=payments,refunds;ops=orders, payments ;").unwrap();
        let cases: &[(&[&str], Option<Namespaces>)] = &[
            (&["pay"], Some(some(&["payments", "refunds"]))),
            (
                &["pay", "ops"],
                Some(some(&["orders", "payments", "refunds"])),
            ),
            (&["ops", "admins"], Some(Namespaces::All)),
            (&["nobody"], None),
            (&[], None),
            (&["Pay"], None),
        ];
        for (groups, want) in cases {
            assert_eq!(&map.namespaces_for(groups), want, "{groups:?}");
        }
        assert_eq!(some(&["b", "a"]).to_claim(), vec!["a", "b"]);
        assert_eq!(Namespaces::All.to_claim(), vec!["*"]);
    }

    #[test]
    fn bad_mappings_are_refused_naming_the_entry() {
        let cases = [
            ("", "nobody could sign in"),
            ("admins", "\"admins\": expected group=namespace"),
            ("=a", "empty group name"),
            ("g=", "no namespaces"),
            ("g=*,a", "\"*\" is not a namespace name"),
            ("g=Payments", "\"Payments\" is not a namespace name"),
            ("g=a;g=b", "group \"g\" is given twice"),
        ];
        for (text, want) in cases {
            let err = GroupMap::parse(text).unwrap_err().to_string();
            assert!(err.starts_with("FJC_AUTH_GROUPS: "), "{err}");
            assert!(err.contains(want), "{text:?}: {err}");
        }
    }
}
