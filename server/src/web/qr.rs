//! The OTP setup's QR code, rendered here as inline SVG (the `qrcode` crate: no script,
//! nothing the pages' CSP forbids). The `<svg>` carries the URI it encodes in
//! `data-otpauth-uri`, for people's tools and the tests.

use super::html::escape;
use qrcode::render::svg;
use qrcode::QrCode;

/// How big the code is drawn, in CSS pixels at least (a phone reads it off a screen).
const MIN_SIZE: u32 = 240;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum QrError {
    #[error("the OTP URI does not fit in a QR code: {0}")]
    TooLong(#[from] qrcode::types::QrError),
}

/// `uri` as an inline `<svg id="otp-qr" data-otpauth-uri="…">`.
pub fn svg(uri: &str) -> Result<String, QrError> {
    let code = QrCode::new(uri.as_bytes())?;
    let image = code
        .render::<svg::Color>()
        .min_dimensions(MIN_SIZE, MIN_SIZE)
        .build();
    // The renderer makes a document; inline in HTML the XML declaration has no place.
    let image = image
        .split_once("<svg")
        .map_or(image.as_str(), |(_, rest)| rest);
    Ok(format!(
        r#"<svg id="otp-qr" role="img" aria-label="QR code สำหรับแอป OTP" data-otpauth-uri="{}"{image}"#,
        escape(uri)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Draws the SVG's dark rectangles (the renderer writes each as
    /// `M{x} {y}h{w}v{h}H{x}V{y}`) on a white raster, as a screen would show them.
    fn rasterise(svg: &str) -> (usize, Vec<bool>) {
        let number = |text: &str, after: &str| -> usize {
            let (_, rest) = text.split_once(after).unwrap();
            let end = rest.find(|c: char| !c.is_ascii_digit()).unwrap();
            rest[..end].parse().unwrap()
        };
        let size = number(svg, "width=\"");
        let mut dark = vec![false; size * size];
        let (_, path) = svg.split_once("<path").unwrap();
        let (_, path) = path.split_once(" d=\"").unwrap();
        let (path, _) = path.split_once('"').unwrap();
        for rect in path.split('M').filter(|rect| !rect.is_empty()) {
            let numbers: Vec<usize> = rect
                .split(|c: char| !c.is_ascii_digit())
                .filter(|n| !n.is_empty())
                .map(|n| n.parse().unwrap())
                .collect();
            let [x, y, w, h, ..] = numbers[..] else {
                panic!("not a rectangle: M{rect}")
            };
            for row in y..y + h {
                for column in x..x + w {
                    dark[row * size + column] = true;
                }
            }
        }
        (size, dark)
    }

    #[test]
    fn the_rendered_code_decodes_to_the_otpauth_uri() {
        let secret = crate::otp::new_secret();
        let uri = crate::otp::provisioning_uri(&secret, "malee.s").unwrap();
        let svg = svg(&uri).unwrap();
        assert!(svg.starts_with("<svg id=\"otp-qr\""), "{svg}");
        assert!(!svg.contains("<?xml"));
        assert!(
            svg.contains(&format!("data-otpauth-uri=\"{}\"", escape(&uri))),
            "{svg}"
        );

        let (size, dark) = rasterise(&svg);
        assert!(size >= MIN_SIZE as usize);
        let mut image = rqrr::PreparedImage::prepare_from_greyscale(size, size, |x, y| {
            if dark[y * size + x] {
                0
            } else {
                255
            }
        });
        let grids = image.detect_grids();
        assert_eq!(grids.len(), 1, "one QR code");
        let (_, content) = grids[0].decode().unwrap();
        assert_eq!(content, uri);
        assert!(content.contains(&format!("secret={secret}")), "{content}");
    }
}
