//! Percent-encoding of URL components (RFC 3986 section 2.1), on the `percent-encoding` crate:
//! the one definition every service, client, test and benchmark uses to build a query value
//! or read a form-encoded one.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

/// Every byte but RFC 3986's unreserved characters (letters, digits, `-`, `.`, `_`, `~`).
pub const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes a query value or path segment: unreserved characters stay, every other
/// byte of its UTF-8 becomes `%XX` (upper-case hex).
pub fn encode(value: &str) -> String {
    utf8_percent_encode(value, COMPONENT).to_string()
}

/// Decodes one `application/x-www-form-urlencoded` component (`+` is a space), leniently, as
/// browsers and the WHATWG URL standard do: a `%` not followed by two hex digits stays as it
/// is, bytes that are not UTF-8 become U+FFFD.
pub fn form_decode_lossy(component: &str) -> String {
    percent_decode_str(&component.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
}

/// Decodes one form-encoded component (`+` is a space), strictly: `None` if a `%` is not
/// followed by two hex digits or the bytes are not UTF-8.
pub fn form_decode(component: &str) -> Option<String> {
    let escapes_valid = component.split('%').skip(1).all(|after| {
        after
            .as_bytes()
            .get(..2)
            .is_some_and(|hex| hex.iter().all(u8::is_ascii_hexdigit))
    });
    if !escapes_valid {
        return None;
    }
    percent_decode_str(&component.replace('+', " "))
        .decode_utf8()
        .ok()
        .map(|text| text.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_all_but_the_unreserved_characters() {
        assert_eq!(encode("a-b._~Z9"), "a-b._~Z9");
        assert_eq!(
            encode("userName eq \"a+b@x.com\""),
            "userName%20eq%20%22a%2Bb%40x.com%22"
        );
        assert_eq!(encode("é/?&="), "%C3%A9%2F%3F%26%3D");
    }

    #[test]
    fn decodes_form_components_strictly_or_leniently() {
        assert_eq!(form_decode("a+b%2Bc%40"), Some("a b+c@".into()));
        assert_eq!(form_decode("100%"), None);
        assert_eq!(form_decode("%zz"), None);
        assert_eq!(form_decode("%FF"), None, "not UTF-8");
        assert_eq!(form_decode_lossy("100%"), "100%");
        assert_eq!(form_decode_lossy("a+%41%zz"), "a A%zz");
        assert_eq!(form_decode_lossy("%FF"), "\u{FFFD}");
        for text in ["", "plain", "sp ace+plus/é&=%"] {
            assert_eq!(form_decode(&encode(text)).as_deref(), Some(text));
        }
    }
}
