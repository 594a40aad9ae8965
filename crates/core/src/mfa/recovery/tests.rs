use super::*;
use crate::random::OsRandom;
use crate::random::testing::CountingRandom;

#[test]
fn a_set_is_ten_distinct_codes_in_two_groups_of_six() {
    let set = generate_set(&OsRandom);
    assert_eq!(set.len(), 10);
    for code in &set {
        let shown = code.expose();
        assert_eq!(shown.len(), 13);
        assert_eq!(shown.as_bytes()[6], b'-');
        assert_eq!(normalize(&shown).as_deref(), Some(code.0.as_str()));
    }
    let mut unique: Vec<_> = set.iter().map(RecoveryCode::expose).collect();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 10);
}

#[test]
fn codes_carry_at_least_fifty_bits_and_no_look_alikes() {
    let bits = (ALPHABET.len() as f64).log2() * LENGTH as f64;
    assert!(bits >= 50.0, "{bits}");
    for banned in [b'0', b'o', b'1', b'l', b'i'] {
        assert!(!ALPHABET.contains(&banned));
    }
    for code in generate_set(&OsRandom) {
        assert!(code.0.bytes().all(|b| ALPHABET.contains(&b)));
    }
}

#[test]
fn injected_randomness_makes_codes_predictable() {
    let shown = |set: Vec<RecoveryCode>| set.iter().map(RecoveryCode::expose).collect::<Vec<_>>();
    let first = shown(generate_set(&CountingRandom::default()));
    assert_eq!(first, shown(generate_set(&CountingRandom::default())));
    assert_ne!(first, shown(generate_set(&OsRandom)));
}

#[test]
fn codes_never_print() {
    let code = RecoveryCode::generate(&OsRandom);
    assert_eq!(format!("{code:?} {code}"), "*** ***");
}

#[test]
fn typing_is_forgiving_about_case_spaces_and_dashes() {
    assert_eq!(
        normalize("  K7M2P9-XQ4R8N \n").as_deref(),
        Some("k7m2p9xq4r8n")
    );
    assert_eq!(normalize("k7m2 p9xq 4r8n").as_deref(), Some("k7m2p9xq4r8n"));
    for bad in [
        "",
        "k7m2p9-xq4r8",
        "k7m2p9-xq4r8nn",
        "k7m2p0-xq4r8n",
        "k7m2p9_xq4r8n",
    ] {
        assert_eq!(normalize(bad), None, "{bad:?}");
    }
}

fn hashes(user: Uuid, set: &[RecoveryCode]) -> Vec<SecretHash> {
    set.iter().map(|code| code.hash(user)).collect()
}

#[test]
fn a_typed_code_finds_the_index_of_its_stored_hash() {
    let user = Uuid::now_v7();
    let set = generate_set(&OsRandom);
    let stored = hashes(user, &set);
    assert!(stored.iter().all(|h| h.as_str().starts_with("sha256:")));
    for (index, code) in set.iter().enumerate() {
        assert_eq!(find_match(user, &code.expose(), &stored), Some(index));
        let typed = code.expose().to_uppercase().replace('-', " ");
        assert_eq!(find_match(user, &typed, &stored), Some(index));
    }
    let other = RecoveryCode::generate(&OsRandom);
    assert_eq!(find_match(user, &other.expose(), &stored), None);
    assert_eq!(find_match(user, "not a code", &stored), None);
    assert_eq!(find_match(user, &set[0].expose(), &[]), None);
}

#[test]
fn hashes_are_salted_per_user() {
    let (alice, bob) = (Uuid::now_v7(), Uuid::now_v7());
    let set = generate_set(&OsRandom);
    assert_ne!(set[0].hash(alice), set[0].hash(bob));
    assert_eq!(
        find_match(bob, &set[0].expose(), &hashes(alice, &set)),
        None
    );
}

#[test]
fn a_used_code_is_gone_once_its_hash_is_removed() {
    let user = Uuid::now_v7();
    let set = generate_set(&OsRandom);
    let mut stored = hashes(user, &set);
    let index = find_match(user, &set[3].expose(), &stored).unwrap_or_else(|| panic!("no match"));
    stored.remove(index);
    assert_eq!(find_match(user, &set[3].expose(), &stored), None);
    assert_eq!(find_match(user, &set[4].expose(), &stored), Some(3));
}

/// The index of the stored hash a typed code has, as the store's lookup finds it.
fn find_match(user: Uuid, typed: &str, stored: &[SecretHash]) -> Option<usize> {
    let hash = typed_hash(user, typed)?;
    stored.iter().position(|h| *h == hash)
}
