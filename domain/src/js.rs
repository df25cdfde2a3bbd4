//! JavaScript number and string semantics that the reference system's results depend on.
//!
//! The system we replace is TypeScript. Wherever one of its outputs depends on how JavaScript
//! formats, parses or rounds a number, Rust's standard behaviour differs in corner cases
//! (`{}` prints `1e21` as `1000000000000000000000`, `{:.2}` rounds ties to even, `f64::signum(0.0)`
//! is `1`, `f64::max` ignores NaN, `str::trim` uses another whitespace set). These helpers
//! reproduce the ECMAScript definitions so ported results stay identical.

mod fdlibm_log;
mod fdlibm_pow;

/// ECMAScript `WhiteSpace` + `LineTerminator`: what `\s` matches and what `String.prototype.trim`
/// removes (differs from Rust's `char::is_whitespace`, e.g. U+FEFF vs U+0085).
pub fn is_whitespace(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{0B}' | '\u{0C}' | '\r' | ' ' | '\u{A0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200A}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202F}'
                | '\u{205F}'
                | '\u{3000}'
                | '\u{FEFF}'
    )
}

/// The same set as a `regex` character class, used to translate ECMAScript `\s` (test oracles).
#[cfg(test)]
pub(crate) const WHITESPACE_CLASS: &str = r"[\t\n\x0B\x0C\r \x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}\x{FEFF}]";

/// `String.prototype.trim`.
pub fn trim(s: &str) -> &str {
    s.trim_matches(is_whitespace)
}

/// 2^53: integers below it are exact doubles (`Number.MAX_SAFE_INTEGER + 1`).
pub(crate) const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_992.0;

/// `String(x)` / `Number.prototype.toString()` for a number (ECMAScript Number::toString, radix 10):
/// shortest round-trip digits, plain notation for exponents in [-7, 21), exponent form otherwise.
pub fn number_to_string(x: f64) -> String {
    if x.is_nan() {
        return "NaN".to_owned();
    }
    if x == 0.0 {
        return "0".to_owned();
    }
    if x.is_infinite() {
        return if x > 0.0 { "Infinity" } else { "-Infinity" }.to_owned();
    }
    // Fast path: below 2^53 every integer is a double and no shorter decimal round-trips to it,
    // so the shortest digits are the integer's own digits.
    if x.fract() == 0.0 && x.abs() < MAX_SAFE_INTEGER {
        return (x as i64).to_string();
    }
    let mut out = String::with_capacity(24);
    if x < 0.0 {
        out.push('-');
    }
    let (digits, n) = shortest_digits(x.abs());
    let k = digits.len() as i32;
    if k <= n && n <= 21 {
        out.push_str(&digits);
        out.extend(std::iter::repeat_n('0', (n - k) as usize));
    } else if 0 < n && n <= 21 {
        out.push_str(&digits[..n as usize]);
        out.push('.');
        out.push_str(&digits[n as usize..]);
    } else if -6 < n && n <= 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-n) as usize));
        out.push_str(&digits);
    } else {
        let e = n - 1;
        out.push_str(&digits[..1]);
        if k > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('e');
        out.push(if e < 0 { '-' } else { '+' });
        out.push_str(&e.abs().to_string());
    }
    out
}

/// Shortest round-trip decimal digits of a finite positive `x` and the decimal exponent `n`
/// such that `x = 0.d1d2… × 10^n` (ECMAScript Number::toString's `s`, `k`, `n`). `ryu` picks the
/// closest of the shortest candidates and the even one on an exact tie, as the spec requires
/// (Rust's own `{:e}` rounds such ties up: 2016157677862793.25 → …793.3, JavaScript …793.2).
fn shortest_digits(x: f64) -> (String, i32) {
    let mut buf = ryu::Buffer::new();
    let text = buf.format_finite(x);
    let (mantissa, exp) = match text.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.parse::<i32>().expect("ryu exponent")),
        None => (text, 0),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let mut n = int_part.len() as i32 + exp;
    let all = format!("{int_part}{frac_part}");
    let trimmed_lead = all.trim_start_matches('0');
    n -= (all.len() - trimmed_lead.len()) as i32;
    let digits = trimmed_lead.trim_end_matches('0');
    (digits.to_owned(), n)
}

/// `Number.prototype.toFixed(digits)`: rounds the exact binary value half away from zero
/// (Rust's `{:.N}` rounds exact ties to even: `0.125` → `0.12`, JavaScript gives `0.13`).
pub fn to_fixed(x: f64, digits: usize) -> String {
    if x.is_nan() {
        return "NaN".to_owned();
    }
    if x.abs() >= 1e21 {
        return number_to_string(x);
    }
    // 1074 fractional digits represent every finite f64 exactly.
    let exact = format!("{:.1074}", x.abs());
    let (int_part, frac_part) = exact.split_once('.').expect("fixed format has a point");
    let mut kept: Vec<u8> = int_part
        .bytes()
        .chain(frac_part.bytes().take(digits))
        .collect();
    let round_up = frac_part.as_bytes()[digits] >= b'5';
    if round_up {
        let mut i = kept.len();
        loop {
            if i == 0 {
                kept.insert(0, b'1');
                break;
            }
            i -= 1;
            if kept[i] == b'9' {
                kept[i] = b'0';
            } else {
                kept[i] += 1;
                break;
            }
        }
    }
    let int_len = kept.len() - digits;
    let mut out = String::with_capacity(kept.len() + 2);
    // `x < 0` is false for -0, so JavaScript prints `(-0).toFixed(2)` as "0.00".
    if x < 0.0 {
        out.push('-');
    }
    out.push_str(std::str::from_utf8(&kept[..int_len]).expect("ascii digits"));
    if digits > 0 {
        out.push('.');
        out.push_str(std::str::from_utf8(&kept[int_len..]).expect("ascii digits"));
    }
    out
}

/// `parseInt(s, 10)`: optional leading whitespace and sign, then the longest run of ASCII
/// digits; NaN when there is none.
pub fn parse_int(s: &str) -> f64 {
    let s = s.trim_start_matches(is_whitespace);
    let (negative, rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let end = rest.bytes().take_while(u8::is_ascii_digit).count();
    if end == 0 {
        return f64::NAN;
    }
    let value: f64 = rest[..end].parse().expect("ascii digits parse");
    if negative { -value } else { value }
}

/// `Math.pow`: V8's fdlibm `pow` (see `fdlibm_pow`), with the ECMAScript special cases (a NaN
/// exponent gives NaN even for base 1; `(±1) ** ±Infinity` is NaN).
pub fn pow(base: f64, exponent: f64) -> f64 {
    if exponent.is_nan() || (base.abs() == 1.0 && exponent.is_infinite()) {
        return f64::NAN;
    }
    fdlibm_pow::pow(base, exponent)
}

/// `Math.exp`: fdlibm `exp` (as V8, Node 20), including V8's special case `exp(1) = Math.E`.
pub fn exp(x: f64) -> f64 {
    if x == 1.0 {
        return std::f64::consts::E;
    }
    libm::exp(x)
}

/// `Math.log`: a port of fdlibm's `e_log.c`, which V8 (Node 20) uses. The `libm` crate follows
/// musl's variant of the reduction and differs in the last bit for ~0.3% of inputs; this one
/// matched Node 20 on 200 000 random inputs.
pub fn ln(x: f64) -> f64 {
    fdlibm_log::log(x)
}

/// `Math.min(a, b)`: NaN-propagating (Rust's `f64::min` ignores NaN).
pub fn min(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else if a < b || (a == b && a.is_sign_negative()) {
        a
    } else {
        b
    }
}

/// `Math.max(a, b)`: NaN-propagating.
pub fn max(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else if a > b || (a == b && a.is_sign_positive()) {
        a
    } else {
        b
    }
}

/// `Math.sign`: ±0 for ±0 (Rust's `signum` returns ±1).
pub fn sign(x: f64) -> f64 {
    if x > 0.0 {
        1.0
    } else if x < 0.0 {
        -1.0
    } else {
        x
    }
}

/// `Date.prototype.toISOString()` of a millisecond timestamp (UTC, `YYYY-MM-DDTHH:mm:ss.sssZ`;
/// six-digit signed years outside 0..=9999).
pub fn to_iso_string(epoch_ms: i64) -> String {
    let days = epoch_ms.div_euclid(86_400_000);
    let ms_of_day = epoch_ms.rem_euclid(86_400_000);
    let (y, m, d) = civil_from_days(days);
    let (hh, mm, ss, ms) = (
        ms_of_day / 3_600_000,
        ms_of_day / 60_000 % 60,
        ms_of_day / 1000 % 60,
        ms_of_day % 1000,
    );
    let year = if (0..=9999).contains(&y) {
        format!("{y:04}")
    } else if y < 0 {
        format!("-{:06}", -y)
    } else {
        format!("+{y:06}")
    };
    format!("{year}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}.{ms:03}Z")
}

/// Days since 1970-01-01 → proleptic Gregorian (year, month, day) (H. Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// A number as `JSON.stringify` writes it: integral values without a fraction (`1`, not `1.0`).
pub fn json_number(x: f64) -> serde_json::Value {
    if x.is_finite() && x.fract() == 0.0 && x.abs() < 9_007_199_254_740_992.0 {
        serde_json::Value::from(x as i64)
    } else {
        serde_json::Number::from_f64(x).map_or(serde_json::Value::Null, serde_json::Value::Number)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::excessive_precision)] // exact binary values on a decimal tie, on purpose
    fn number_to_string_matches_javascript() {
        let cases: &[(f64, &str)] = &[
            (0.0, "0"),
            (-0.0, "0"),
            (1.0, "1"),
            (-27.0, "-27"),
            (105.0, "105"),
            (0.1 + 0.2, "0.30000000000000004"),
            (1e21, "1e+21"),
            (1e20, "100000000000000000000"),
            (123456789012345680000.0, "123456789012345680000"),
            (2f64.powi(60), "1152921504606847000"),
            (1e-6, "0.000001"),
            (1e-7, "1e-7"),
            (1.5e-7, "1.5e-7"),
            (1.234e25, "1.234e+25"),
            (0.001, "0.001"),
            (12.5, "12.5"),
            (5e-324, "5e-324"),
            (f64::MAX, "1.7976931348623157e+308"),
            (2016157677862793.25, "2016157677862793.2"),
            (-726705433335155.25, "-726705433335155.2"),
            (1.5, "1.5"),
            (100.0, "100"),
            (0.000123, "0.000123"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "Infinity"),
            (f64::NEG_INFINITY, "-Infinity"),
        ];
        for (x, expected) in cases {
            assert_eq!(number_to_string(*x), *expected, "String({x:e})");
        }
    }

    #[test]
    fn to_fixed_rounds_ties_away_from_zero() {
        let cases: &[(f64, usize, &str)] = &[
            (0.125, 2, "0.13"),
            (0.25, 1, "0.3"),
            (2.5, 0, "3"),
            (-2.5, 0, "-3"),
            (1.005, 2, "1.00"), // 1.005 is 1.00499999999999989... in binary
            (0.6926829268292684, 2, "0.69"),
            (9.995, 2, "9.99"),
            (9.999, 2, "10.00"),
            (-0.001, 2, "-0.00"),
            (-0.0, 2, "0.00"),
            (0.3, 3, "0.300"),
            (-0.8472978603872037, 2, "-0.85"),
            (1e21, 2, "1e+21"),
            (123.456, 0, "123"),
        ];
        for (x, d, expected) in cases {
            assert_eq!(to_fixed(*x, *d), *expected, "({x}).toFixed({d})");
        }
    }

    #[test]
    fn parse_int_takes_the_leading_integer() {
        assert_eq!(parse_int("15"), 15.0);
        assert_eq!(parse_int("1.5"), 1.0);
        assert_eq!(parse_int("-15"), -15.0);
        assert_eq!(parse_int("  +7x"), 7.0);
        assert_eq!(parse_int("1.2e+21"), 1.0);
        assert!(parse_int("").is_nan());
        assert!(parse_int("-").is_nan());
        assert!(parse_int(".5").is_nan());
    }

    #[test]
    fn math_functions_follow_ecmascript() {
        assert!(pow(1.0, f64::INFINITY).is_nan());
        assert!(pow(1.0, f64::NAN).is_nan());
        assert_eq!(pow(f64::NAN, 0.0), 1.0);
        assert_eq!(pow(2.0, 10.0), 1024.0);
        assert_eq!(sign(0.0), 0.0);
        assert!(sign(-0.0).is_sign_negative());
        assert_eq!(sign(-3.0), -1.0);
        assert!(min(f64::NAN, 1.0).is_nan());
        assert!(max(0.0, f64::NAN).is_nan());
        assert!(min(0.0, -0.0).is_sign_negative());
        assert!(max(-0.0, 0.0).is_sign_positive());
        assert_eq!(exp(0.0), 1.0);
        assert_eq!(exp(1.0), std::f64::consts::E, "V8 special-cases exp(1)");
        // Values computed by Node 20 where the `libm` crate / platform libm give another bit.
        let bits = |x: u64| f64::from_bits(x);
        for (x, want) in [
            (0x4009_0481_6f00_68dc, 0x3ff2_3e01_6176_234d),
            (0x3fe4_b90e_a9e6_eeb7, 0xbfdb_cece_9905_df9b),
            (0x4067_a800_0000_0000, 0x4014_f8e7_0d3c_b727),
        ] {
            assert_eq!(ln(bits(x)).to_bits(), want, "Math.log({})", bits(x));
        }
        for (x, y, want) in [
            (
                0x4053_3800_0000_0000,
                0xc030_2b47_4d08_0000,
                0x399a_2ba9_2028_4ae0,
            ),
            (
                0x40bf_0d33_3333_3333,
                0x3fa1_3e9c_fc00_0000,
                0x3ff5_a6c2_8583_7307,
            ),
            (
                0x4051_d000_0000_0000,
                0x3fe7_a26f_b1e0_0000,
                0x4037_5b88_9d0c_33f8,
            ),
        ] {
            assert_eq!(
                pow(bits(x), bits(y)).to_bits(),
                want,
                "Math.pow({}, {})",
                bits(x),
                bits(y)
            );
        }
        assert_eq!(
            pow(10.0, -4.0),
            9.999_999_999_999_999e-5,
            "as Node: 0.00009999999999999999"
        );
        assert_eq!(pow(-2.0, 3.0), -8.0);
        assert!(pow(-8.0, 1.0 / 3.0).is_nan());
        assert_eq!(pow(0.0, -1.0), f64::INFINITY);
        assert_eq!(pow(-0.0, -1.0), f64::NEG_INFINITY);
        assert_eq!(pow(2.0, -1075.0), 0.0);
        assert_eq!(ln(1.0), 0.0);
    }

    #[test]
    fn trim_uses_the_ecmascript_whitespace_set() {
        assert_eq!(trim("\u{FEFF} 1 2/3\u{A0}\n"), "1 2/3");
        assert_eq!(trim("\u{85}x"), "\u{85}x");
    }

    #[test]
    fn iso_strings_match_date_to_iso_string() {
        assert_eq!(to_iso_string(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(to_iso_string(1_709_251_199_999), "2024-02-29T23:59:59.999Z");
        assert_eq!(to_iso_string(-1), "1969-12-31T23:59:59.999Z");
        assert_eq!(
            to_iso_string(253_402_300_800_000),
            "+010000-01-01T00:00:00.000Z"
        );
    }

    #[test]
    fn json_numbers_drop_integral_fractions() {
        assert_eq!(json_number(1.0).to_string(), "1");
        assert_eq!(json_number(0.25).to_string(), "0.25");
        assert_eq!(json_number(f64::NAN), serde_json::Value::Null);
    }
}
