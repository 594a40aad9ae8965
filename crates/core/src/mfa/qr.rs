//! QR codes (ISO/IEC 18004) as inline SVG, to carry an `otpauth://` enrolment URI to a phone.

use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};

/// The smallest side in pixels; the renderer rounds up to whole modules.
const MIN_SIDE: u32 = 200;
const XML_DECLARATION: &str = r#"<?xml version="1.0" standalone="yes"?>"#;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("cannot encode this text as a QR code: {0}")]
pub struct QrError(String);

/// A self-contained SVG (no script, no external reference): black modules on a white background with
/// the four-module quiet zone, at least 200 px square. The XML declaration is left out so the markup
/// can be placed inline in an HTML page as well as served as `image/svg+xml`. Error correction M
/// (15 %) survives a glare or a smudge on a screen.
pub fn svg(data: &str) -> Result<String, QrError> {
    let code = QrCode::with_error_correction_level(data.as_bytes(), EcLevel::M)
        .map_err(|e| QrError(e.to_string()))?;
    let image = code
        .render::<svg::Color>()
        .quiet_zone(true)
        .min_dimensions(MIN_SIDE, MIN_SIDE)
        .dark_color(svg::Color("#000000"))
        .light_color(svg::Color("#ffffff"))
        .build();
    Ok(image
        .strip_prefix(XML_DECLARATION)
        .map(str::to_owned)
        .unwrap_or(image))
}

#[cfg(test)]
mod tests {
    use super::*;

    const URI: &str = "otpauth://totp/Valet:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\
                       &issuer=Valet&algorithm=SHA1&digits=6&period=30";

    fn side(svg: &str) -> u32 {
        let width = svg
            .split("width=\"")
            .nth(1)
            .and_then(|s| s.split('"').next());
        width.and_then(|w| w.parse().ok()).unwrap_or(0)
    }

    #[test]
    fn renders_a_self_contained_black_on_white_svg() {
        let image = svg(URI).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            image.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""),
            "{image}"
        );
        assert!(image.ends_with("</svg>"));
        assert!(image.contains("fill=\"#ffffff\"") && image.contains("fill=\"#000000\""));
        for forbidden in ["<script", "href", "<?xml", "url("] {
            assert!(!image.contains(forbidden), "{forbidden}");
        }
    }

    #[test]
    fn the_size_suits_a_page() {
        let image = svg(URI).unwrap_or_else(|e| panic!("{e}"));
        let side = side(&image);
        assert!((200..=300).contains(&side), "{side}");
        assert!(image.contains(&format!("height=\"{side}\"")));
    }

    #[test]
    fn rendering_is_deterministic_and_depends_on_the_data() {
        let a = svg(URI).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(Ok(a.clone()), svg(URI));
        assert_ne!(Ok(a), svg("otpauth://totp/Valet:bob"));
    }

    #[test]
    fn data_beyond_a_qr_codes_capacity_is_an_error_not_a_panic() {
        assert!(svg(&"x".repeat(5000)).is_err());
    }
}
