//! The icons, drawn at start: a disc in the state's colour holding a white mark (a card,
//! or "!" for an error, or nothing when there is no reader). Colour alone never
//! carries the meaning: the mark differs too.

use super::state::TrayState;

pub const SIZE: u32 = 32;

/// Disc colours, also what the tray test looks for on screen.
pub const GREY: [u8; 3] = [0x75, 0x75, 0x75];
pub const GREEN: [u8; 3] = [0x1b, 0x8a, 0x3c];
pub const BLUE: [u8; 3] = [0x15, 0x65, 0xc0];
pub const AMBER: [u8; 3] = [0xe0, 0x8a, 0x00];
pub const RED: [u8; 3] = [0xc6, 0x28, 0x28];
pub const ALL: [[u8; 3]; 5] = [GREY, GREEN, BLUE, AMBER, RED];

/// Straight (not premultiplied) RGBA, row by row.
#[derive(Clone, Debug)]
pub struct Rgba {
    pub width: u32,
    pub height: u32,
    pub pixels: Vec<u8>,
}

impl Rgba {
    /// ARGB32 in network byte order, as StatusNotifierItem wants it.
    pub fn argb(&self) -> Vec<u8> {
        self.pixels
            .chunks_exact(4)
            .flat_map(|p| [p[3], p[0], p[1], p[2]])
            .collect()
    }
}

#[derive(Clone, Copy)]
enum Mark {
    None,
    Card,
    /// A card with a dot: one in the reader.
    CardInReader,
    Hourglass,
    Bang,
}

pub fn for_state(state: &TrayState) -> Rgba {
    let (color, mark) = match state {
        TrayState::Starting => (GREY, Mark::Hourglass),
        TrayState::NoReader => (GREY, Mark::None),
        TrayState::Ready => (GREEN, Mark::Card),
        TrayState::CardInserted => (BLUE, Mark::CardInReader),
        TrayState::LoggingIn { .. } => (AMBER, Mark::Hourglass),
        TrayState::Error(_) => (RED, Mark::Bang),
    };
    draw(color, mark)
}

fn draw(color: [u8; 3], mark: Mark) -> Rgba {
    let mut pixels = Vec::with_capacity((SIZE * SIZE * 4) as usize);
    let center = SIZE as f32 / 2.0;
    let radius = center - 1.0;
    for y in 0..SIZE {
        for x in 0..SIZE {
            let (fx, fy) = (x as f32 + 0.5, y as f32 + 0.5);
            let distance = ((fx - center).powi(2) + (fy - center).powi(2)).sqrt();
            // One pixel of soft edge.
            let alpha = (radius - distance + 0.5).clamp(0.0, 1.0);
            let rgb = if marked(mark, x, y) { [0xff; 3] } else { color };
            pixels.extend_from_slice(&rgb);
            pixels.push((alpha * 255.0).round() as u8);
        }
    }
    Rgba {
        width: SIZE,
        height: SIZE,
        pixels,
    }
}

fn marked(mark: Mark, x: u32, y: u32) -> bool {
    let card_outline = (8..24).contains(&x)
        && (10..22).contains(&y)
        && !((10..22).contains(&x) && (12..20).contains(&y));
    match mark {
        Mark::None => false,
        Mark::Card => card_outline,
        Mark::CardInReader => card_outline || ((13..19).contains(&x) && (14..18).contains(&y)),
        Mark::Hourglass => {
            let half = if y < 16 { 15 - y } else { y - 16 };
            (8..24).contains(&y) && x + half >= 15 && x <= 16 + half
        }
        Mark::Bang => (14..18).contains(&x) && ((7..19).contains(&y) || (21..25).contains(&y)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn icons_are_square_rgba_with_a_transparent_corner_and_an_opaque_middle() {
        let icon = for_state(&TrayState::Ready);
        assert_eq!(icon.pixels.len(), (SIZE * SIZE * 4) as usize);
        assert_eq!(icon.pixels[3], 0, "corner");
        let middle = ((SIZE / 2 * SIZE + 4) * 4) as usize;
        assert_eq!(
            &icon.pixels[middle..middle + 4],
            &[GREEN[0], GREEN[1], GREEN[2], 255]
        );
        let argb = icon.argb();
        assert_eq!(
            &argb[middle..middle + 4],
            &[255, GREEN[0], GREEN[1], GREEN[2]]
        );
    }

    #[test]
    fn every_state_has_its_own_icon_but_the_errors_share_one() {
        let states = TrayState::examples();
        let icons: Vec<_> = states.iter().map(|s| for_state(s).pixels).collect();
        for (i, a) in icons[..6].iter().enumerate() {
            for b in &icons[i + 1..6] {
                assert_ne!(a, b);
            }
        }
        assert_eq!(icons[5], icons[6]);
    }
}
