//! Synthetic card fixtures: loading `fixtures/cards/<name>.toml` and encoding the card image.
//!
//! The file format is described in `fixtures/README.md`.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use encoding_rs::WINDOWS_874;
use serde::Deserialize;

use crate::layout::{is_garbage, span, Field, FILE_LEN, PAD};

/// The repository's `fixtures/` directory.
pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("fixtures")
}

/// The directory of the card fixture files.
pub fn cards_dir() -> PathBuf {
    fixtures_dir().join("cards")
}

/// How the card answers a READ (and the SELECT).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Answer {
    /// `61 xx`, then the data comes with GET RESPONSE (what real cards do).
    #[default]
    GetResponse,
    /// Data + `90 00` at once (what some reader stacks show).
    Direct,
}

/// A loaded fixture: the card's ATR, its behaviour and its encoded file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CardFixture {
    /// The file stem, e.g. `demo`.
    pub name: String,
    /// One line: which edges this card covers.
    pub description: String,
    pub atr: Vec<u8>,
    pub answer: Answer,
    /// The whole card file, `FILE_LEN` bytes.
    pub image: Vec<u8>,
    /// The exact JPEG bytes written into the photo field, if the card has a photo.
    pub photo: Option<Vec<u8>>,
    /// The fixture file this was loaded from.
    pub path: PathBuf,
}

/// Why a fixture could not be loaded. Each names the file and, where it applies, the field.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FixtureError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not a valid card fixture: {source}")]
    Toml {
        path: PathBuf,
        source: toml::de::Error,
    },
    #[error("{path}: `{key}` is not valid hex ({reason})")]
    Hex {
        path: PathBuf,
        key: String,
        reason: &'static str,
    },
    #[error("{path}: atr must be 2 to 33 bytes, got {len}")]
    AtrLength { path: PathBuf, len: usize },
    #[error("{path}: field `{field}` has {ch:?} (U+{code:04X}), which TIS-620 cannot encode")]
    Unmappable {
        path: PathBuf,
        field: &'static str,
        ch: char,
        code: u32,
    },
    #[error("{path}: field `{field}` is {len} bytes once TIS-620 encoded, the card holds {max}")]
    TooLong {
        path: PathBuf,
        field: &'static str,
        len: usize,
        max: usize,
    },
    #[error("{path}: [tail] names `{key}`, which is not a text field of the card")]
    UnknownTailField { path: PathBuf, key: String },
    #[error("{path}: [tail] `{field}` is {tail} bytes but only {padding} bytes of padding follow the text")]
    TailOverText {
        path: PathBuf,
        field: &'static str,
        tail: usize,
        padding: usize,
    },
    #[error("{path}: photo {photo} is {len} bytes, the card holds {max}")]
    PhotoTooLong {
        path: PathBuf,
        photo: PathBuf,
        len: usize,
        max: usize,
    },
    #[error("{path}: photo {photo} is not a JPEG (must start FF D8 and end FF D9)")]
    PhotoNotJpeg { path: PathBuf, photo: PathBuf },
    #[error("{path}: fixture names must be a file stem, got {name:?}")]
    BadName { path: PathBuf, name: String },
    #[error("{path}: expected JSON: {source}")]
    Json {
        path: PathBuf,
        source: serde_json::Error,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FixtureFile {
    description: String,
    atr: String,
    #[serde(default)]
    answer: Answer,
    photo: Option<PathBuf>,
    fields: TextFields,
    #[serde(default)]
    tail: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TextFields {
    version: String,
    citizen_id: String,
    name_th: String,
    name_en: String,
    date_of_birth: String,
    gender: String,
    request_number: String,
    issuer: String,
    issuer_code: String,
    issue_date: String,
    expiry_date: String,
    card_type: String,
    address: String,
    card_serial: String,
}

impl TextFields {
    fn by_field(&self) -> [(Field, &str); 14] {
        [
            (Field::Version, &self.version),
            (Field::CitizenId, &self.citizen_id),
            (Field::NameTh, &self.name_th),
            (Field::NameEn, &self.name_en),
            (Field::DateOfBirth, &self.date_of_birth),
            (Field::Gender, &self.gender),
            (Field::RequestNumber, &self.request_number),
            (Field::Issuer, &self.issuer),
            (Field::IssuerCode, &self.issuer_code),
            (Field::IssueDate, &self.issue_date),
            (Field::ExpiryDate, &self.expiry_date),
            (Field::CardType, &self.card_type),
            (Field::Address, &self.address),
            (Field::CardSerial, &self.card_serial),
        ]
    }
}

impl CardFixture {
    /// Loads `fixtures/cards/<name>.toml`.
    pub fn named(name: &str) -> Result<CardFixture, FixtureError> {
        let path = cards_dir().join(format!("{name}.toml"));
        if name.is_empty() || name.contains(['/', '\\']) || name.starts_with('.') {
            return Err(FixtureError::BadName {
                path,
                name: name.to_owned(),
            });
        }
        CardFixture::load(path)
    }

    /// Loads a fixture file; a photo path in it is relative to the file.
    pub fn load(path: impl AsRef<Path>) -> Result<CardFixture, FixtureError> {
        let path = path.as_ref();
        let text = fs::read_to_string(path).map_err(|source| FixtureError::Io {
            path: path.to_owned(),
            source,
        })?;
        CardFixture::from_toml(path, &text)
    }

    /// Every `fixtures/cards/*.toml`, sorted by name.
    pub fn all() -> Result<Vec<CardFixture>, FixtureError> {
        let dir = cards_dir();
        let io_error = |source| FixtureError::Io {
            path: dir.clone(),
            source,
        };
        let mut paths = Vec::new();
        for entry in fs::read_dir(&dir).map_err(io_error)? {
            let path = entry.map_err(io_error)?.path();
            if path.extension().is_some_and(|ext| ext == "toml") {
                paths.push(path);
            }
        }
        paths.sort();
        paths.into_iter().map(CardFixture::load).collect()
    }

    /// Parses fixture text as if it were the file at `path` (which need not exist unless the
    /// fixture names a photo).
    pub fn from_toml(path: &Path, text: &str) -> Result<CardFixture, FixtureError> {
        let file: FixtureFile = toml::from_str(text).map_err(|source| FixtureError::Toml {
            path: path.to_owned(),
            source,
        })?;
        let name = path
            .file_stem()
            .map(|stem| stem.to_string_lossy().into_owned())
            .unwrap_or_default();

        let atr = parse_hex(path, "atr", &file.atr)?;
        if !(2..=33).contains(&atr.len()) {
            return Err(FixtureError::AtrLength {
                path: path.to_owned(),
                len: atr.len(),
            });
        }

        let mut image = vec![PAD; FILE_LEN];
        let mut text_len = BTreeMap::new();
        for (field, value) in file.fields.by_field() {
            let bytes = encode_text(path, field, value)?;
            image[span(field).start..span(field).start + bytes.len()].copy_from_slice(&bytes);
            text_len.insert(field, bytes.len());
        }

        for (key, hex) in &file.tail {
            let field = Field::from_name(key)
                .filter(|field| *field != Field::Photo)
                .ok_or_else(|| FixtureError::UnknownTailField {
                    path: path.to_owned(),
                    key: key.clone(),
                })?;
            let tail = parse_hex(path, &format!("tail.{key}"), hex)?;
            let padding = span(field).len() - text_len.get(&field).copied().unwrap_or(0);
            if tail.len() > padding {
                return Err(FixtureError::TailOverText {
                    path: path.to_owned(),
                    field: field.name(),
                    tail: tail.len(),
                    padding,
                });
            }
            let end = span(field).end;
            image[end - tail.len()..end].copy_from_slice(&tail);
        }

        let photo = match &file.photo {
            Some(relative) => {
                let photo_path = path.parent().unwrap_or(Path::new(".")).join(relative);
                let jpeg = fs::read(&photo_path).map_err(|source| FixtureError::Io {
                    path: photo_path.clone(),
                    source,
                })?;
                if !(jpeg.starts_with(&[0xFF, 0xD8]) && jpeg.ends_with(&[0xFF, 0xD9])) {
                    return Err(FixtureError::PhotoNotJpeg {
                        path: path.to_owned(),
                        photo: photo_path,
                    });
                }
                if jpeg.len() > span(Field::Photo).len() {
                    return Err(FixtureError::PhotoTooLong {
                        path: path.to_owned(),
                        photo: photo_path,
                        len: jpeg.len(),
                        max: span(Field::Photo).len(),
                    });
                }
                let start = span(Field::Photo).start;
                image[start..start + jpeg.len()].copy_from_slice(&jpeg);
                Some(jpeg)
            }
            None => None,
        };

        Ok(CardFixture {
            name,
            description: file.description,
            atr,
            answer: file.answer,
            image,
            photo,
            path: path.to_owned(),
        })
    }

    /// `<name>.json` beside the fixture: what `thaiid-agent read --json` must print.
    pub fn expected_json_path(&self) -> PathBuf {
        self.path.with_extension("json")
    }

    /// The parsed `<name>.json`.
    pub fn expected_json(&self) -> Result<serde_json::Value, FixtureError> {
        let path = self.expected_json_path();
        let text = fs::read_to_string(&path).map_err(|source| FixtureError::Io {
            path: path.clone(),
            source,
        })?;
        serde_json::from_str(&text).map_err(|source| FixtureError::Json { path, source })
    }

    /// The raw bytes of one field of the card file, padding and garbage included.
    pub fn field_bytes(&self, field: Field) -> &[u8] {
        &self.image[span(field)]
    }
}

/// Encodes one text field as TIS-620; refuses what the card could not hold.
fn encode_text(path: &Path, field: Field, text: &str) -> Result<Vec<u8>, FixtureError> {
    let unmappable = |ch: char| FixtureError::Unmappable {
        path: path.to_owned(),
        field: field.name(),
        ch,
        code: u32::from(ch),
    };
    let mut bytes = Vec::with_capacity(text.len());
    let mut buf = [0u8; 4];
    for ch in text.chars() {
        let (encoded, _, had_errors) = WINDOWS_874.encode(ch.encode_utf8(&mut buf));
        // windows-874 also maps a few characters (€, curly quotes, NBSP) to bytes TIS-620 lacks.
        if had_errors || encoded.iter().copied().any(is_garbage) {
            return Err(unmappable(ch));
        }
        bytes.extend_from_slice(&encoded);
    }
    if bytes.len() > span(field).len() {
        return Err(FixtureError::TooLong {
            path: path.to_owned(),
            field: field.name(),
            len: bytes.len(),
            max: span(field).len(),
        });
    }
    Ok(bytes)
}

/// Parses hex bytes; whitespace between (or inside) the pairs is ignored.
pub fn parse_hex(path: &Path, key: &str, text: &str) -> Result<Vec<u8>, FixtureError> {
    let error = |reason| FixtureError::Hex {
        path: path.to_owned(),
        key: key.to_owned(),
        reason,
    };
    let digits: Vec<u8> = text
        .chars()
        .filter(|ch| !ch.is_whitespace())
        .map(|ch| {
            ch.to_digit(16)
                .and_then(|digit| u8::try_from(digit).ok())
                .ok_or(error("not a hex digit"))
        })
        .collect::<Result<_, _>>()?;
    if digits.len() % 2 != 0 {
        return Err(error("odd number of hex digits"));
    }
    Ok(digits
        .chunks(2)
        .map(|pair| pair[0] << 4 | pair[1])
        .collect())
}

#[cfg(test)]
mod catalog_tests;
#[cfg(test)]
pub(crate) mod tests;
