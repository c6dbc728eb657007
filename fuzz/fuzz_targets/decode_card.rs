//! Any card file into every decoder.
#![no_main]

use libfuzzer_sys::fuzz_target;
use thaiid_protocol::layout::FILE_LEN;
use thaiid_protocol::{Card, CardImage};

fuzz_target!(|data: &[u8]| {
    let mut file = vec![b' '; usize::from(FILE_LEN)];
    let len = data.len().min(file.len());
    file[..len].copy_from_slice(&data[..len]);
    if let Some(image) = CardImage::from_file(&file) {
        let _ = Card::decode(&[0x3B, 0x67], &image);
    }
});
