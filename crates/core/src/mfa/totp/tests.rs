use super::*;
use crate::random::OsRandom;
use crate::random::testing::CountingRandom;

/// The key of RFC 4226 Appendix D and RFC 6238 Appendix B (SHA-1).
fn rfc_secret() -> TotpSecret {
    TotpSecret::from_bytes(b"12345678901234567890").unwrap_or_else(|e| panic!("{e}"))
}

fn at(unix: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(unix, 0).unwrap_or_default()
}

#[test]
fn codes_match_the_rfc_6238_sha1_vectors_truncated_to_six_digits() {
    // RFC 6238 Appendix B lists 8-digit codes; a 6-digit code is the same value mod 10^6.
    let vectors = [
        (59, "94287082"),
        (1_111_111_109, "07081804"),
        (1_111_111_111, "14050471"),
        (1_234_567_890, "89005924"),
        (2_000_000_000, "69279037"),
        (20_000_000_000, "65353130"),
    ];
    for (unix, eight) in vectors {
        assert_eq!(code_at(&rfc_secret(), at(unix)), eight[2..], "T = {unix}");
    }
}

#[test]
fn step_n_gives_the_rfc_4226_hotp_value_for_counter_n() {
    let hotp = [
        "755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871",
        "520489",
    ];
    for (counter, expected) in (0i64..).zip(hotp) {
        assert_eq!(code_at(&rfc_secret(), at(counter * STEP_SECONDS)), expected);
    }
}

#[test]
fn secrets_are_160_random_bits_and_never_print() {
    let secret = TotpSecret::generate(&CountingRandom::default());
    assert_eq!(secret.as_bytes(), (0u8..20).collect::<Vec<_>>());
    assert_eq!(format!("{secret:?}"), "***");
    let a = TotpSecret::generate(&OsRandom);
    assert_ne!(a.as_bytes(), TotpSecret::generate(&OsRandom).as_bytes());
}

#[test]
fn base32_is_unpadded_rfc_4648() {
    assert_eq!(rfc_secret().to_base32(), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
    let sixteen = TotpSecret::from_bytes(&[0xff; 16]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(sixteen.to_base32(), "77777777777777777777777774");
    let read = TotpSecret::from_base32("gezdgnbvgy3tqojqgezdgnbvgy3tqojq")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(code_at(&read, at(59)), "287082");
    assert!(TotpSecret::from_base32("not base32!").is_err());
}

#[test]
fn secrets_shorter_than_128_bits_are_refused() {
    assert_eq!(
        TotpSecret::from_bytes(&[1; 15]).err(),
        Some(InvalidTotpSecret)
    );
    assert_eq!(
        TotpSecret::from_bytes(&[1; 65]).err(),
        Some(InvalidTotpSecret)
    );
    assert!(TotpSecret::from_bytes(&[1; 16]).is_ok());
}

#[test]
fn the_current_code_is_accepted_and_returns_its_step() {
    let now = at(1_111_111_111);
    assert_eq!(verify(&rfc_secret(), "050471", now, None), Ok(37_037_037));
    assert_eq!(time_step(now), 37_037_037);
}

#[test]
fn one_step_of_drift_is_accepted_either_way_but_not_two() {
    let secret = rfc_secret();
    let now = at(1_800_000_000);
    let step = time_step(now);
    for offset in [-1, 0, 1] {
        let code = code_at(
            &secret,
            now + chrono::Duration::seconds(offset * STEP_SECONDS),
        );
        assert_eq!(verify(&secret, &code, now, None), Ok(step + offset));
    }
    for offset in [-2, 2] {
        let code = code_at(
            &secret,
            now + chrono::Duration::seconds(offset * STEP_SECONDS),
        );
        assert_eq!(verify(&secret, &code, now, None), Err(TotpError::Invalid));
    }
}

#[test]
fn spaces_are_ignored_but_anything_else_must_be_six_digits() {
    let now = at(1_111_111_111);
    let secret = rfc_secret();
    assert!(verify(&secret, " 050 471\n", now, None).is_ok());
    for typed in [
        "",
        "05047",
        "0504710",
        "05O471",
        "+50471",
        "050-471",
        "０５０４７１",
    ] {
        assert_eq!(
            verify(&secret, typed, now, None),
            Err(TotpError::Invalid),
            "{typed:?}"
        );
    }
}

#[test]
fn a_code_is_never_accepted_twice() {
    let secret = rfc_secret();
    let now = at(1_800_000_000);
    let code = code_at(&secret, now);
    let used = verify(&secret, &code, now, None).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        verify(&secret, &code, now, Some(used)),
        Err(TotpError::Replayed)
    );
    // Still refused 30 s later, while the window still covers its step.
    let later = now + chrono::Duration::seconds(STEP_SECONDS);
    assert_eq!(
        verify(&secret, &code, later, Some(used)),
        Err(TotpError::Replayed)
    );
}

#[test]
fn an_earlier_code_than_the_last_used_one_is_refused() {
    let secret = rfc_secret();
    let now = at(1_800_000_000);
    let next = code_at(&secret, now + chrono::Duration::seconds(STEP_SECONDS));
    let used = verify(&secret, &next, now, None).unwrap_or_else(|e| panic!("{e}"));
    let current = code_at(&secret, now);
    assert_eq!(
        verify(&secret, &current, now, Some(used)),
        Err(TotpError::Replayed)
    );
    let after = code_at(&secret, now + chrono::Duration::seconds(2 * STEP_SECONDS));
    let later = now + chrono::Duration::seconds(STEP_SECONDS);
    assert_eq!(verify(&secret, &after, later, Some(used)), Ok(used + 1));
}

#[test]
fn a_wrong_code_is_invalid_not_replayed() {
    let secret = rfc_secret();
    let now = at(1_800_000_000);
    let right = code_at(&secret, now);
    let wrong = if right == "000000" {
        "111111"
    } else {
        "000000"
    };
    assert_eq!(
        verify(&secret, wrong, now, Some(time_step(now))),
        Err(TotpError::Invalid)
    );
}

#[test]
fn another_secret_gives_other_codes() {
    let now = at(1_800_000_000);
    let other = TotpSecret::from_bytes(&[7; 20]).unwrap_or_else(|e| panic!("{e}"));
    let code = code_at(&other, now);
    assert_ne!(code, code_at(&rfc_secret(), now));
    assert_eq!(
        verify(&rfc_secret(), &code, now, None),
        Err(TotpError::Invalid)
    );
    assert_eq!(verify(&other, &code, now, None), Ok(time_step(now)));
}

#[test]
fn instants_before_1970_give_step_zero_codes_and_match_nothing_earlier() {
    assert_eq!(code_at(&rfc_secret(), at(-100)), "755224");
    assert_eq!(time_step(at(-1)), -1);
    assert_eq!(
        verify(&rfc_secret(), "755224", at(-100), None),
        Err(TotpError::Invalid)
    );
    assert_eq!(verify(&rfc_secret(), "755224", at(-10), None), Ok(0));
}
