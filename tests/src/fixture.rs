//! Synthetic card fixtures: loading `fixtures/cards/<name>.toml` and its expected JSON.
//!
//! The file format is described in `fixtures/README.md`.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use thaiid_protocol::layout::Field;

mod image;

use image::{span, Image};

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

/// How the laser applet answers its read, in the two forms public readers describe
/// (SPEC §2). Its SELECT answers as `answer` says.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LaserAnswer {
    /// The whole 23-byte record to Le `17` (the Android reader's form): at once or after
    /// `61 17`, as `answer` says; any other Le gets `6C 17`.
    #[default]
    Record,
    /// The 7 header bytes with `61 10` to any Le (go-thai-smartcard's capture); GET
    /// RESPONSE Le `10` brings the 16-byte laser field.
    HeaderThenField,
    /// `61 10` alone to any Le; GET RESPONSE Le `10` brings the 16-byte laser field.
    Field,
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
    /// The whole card file, `thaiid_protocol::layout::FILE_LEN` bytes.
    pub image: Vec<u8>,
    /// The exact JPEG bytes written into the photo field, if the card has a photo.
    pub photo: Option<Vec<u8>>,
    /// The laser ID its laser applet holds; `None`: the card has no laser applet.
    pub laser_id: Option<String>,
    /// How its laser applet answers the read.
    pub laser_answer: LaserAnswer,
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
        // Boxed: toml's error is large enough (on Windows) for clippy's result_large_err.
        source: Box<toml::de::Error>,
    },
    #[error("{path}: `{key}` is not hex bytes (pairs of hex digits, spaces allowed)")]
    Hex { path: PathBuf, key: String },
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
    #[error("{path}: [{table}] names `{key}`, which is not a text field of the card")]
    UnknownField {
        path: PathBuf,
        table: &'static str,
        key: String,
    },
    #[error("{path}: [fields] lacks `{field}`; every text field of the card is required")]
    MissingField { path: PathBuf, field: &'static str },
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
    #[error("{path}: `laser_answer` needs a `laser_id`: a card without one has no laser applet")]
    LaserAnswerWithoutId { path: PathBuf },
    #[error("{path}: `laser_id` is {len} bytes, the laser field holds 16")]
    LaserIdTooLong { path: PathBuf, len: usize },
    #[error("{path}: expected JSON: {source}")]
    Json {
        path: PathBuf,
        source: serde_json::Error,
    },
}

/// `<name>.toml` as written. The text fields are keyed by their names in the protocol
/// crate's layout, so the list of fields lives in one place.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FixtureFile {
    description: String,
    atr: String,
    #[serde(default)]
    answer: Answer,
    photo: Option<PathBuf>,
    laser_id: Option<String>,
    laser_answer: Option<LaserAnswer>,
    fields: BTreeMap<String, String>,
    #[serde(default)]
    tail: BTreeMap<String, String>,
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
            source: Box::new(source),
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

        match (&file.laser_id, file.laser_answer) {
            (None, Some(_)) => {
                return Err(FixtureError::LaserAnswerWithoutId {
                    path: path.to_owned(),
                })
            }
            (Some(id), _) if id.len() > 16 => {
                return Err(FixtureError::LaserIdTooLong {
                    path: path.to_owned(),
                    len: id.len(),
                })
            }
            _ => {}
        }

        let mut image = Image::new(path);
        for (key, text) in &file.fields {
            image.text(text_field(path, "fields", key)?, text)?;
        }
        if let Some(missing) = Field::TEXT.into_iter().find(|&f| !image.has_text(f)) {
            return Err(FixtureError::MissingField {
                path: path.to_owned(),
                field: missing.name(),
            });
        }
        for (key, hex) in &file.tail {
            let field = text_field(path, "tail", key)?;
            image.tail(field, &parse_hex(path, &format!("tail.{key}"), hex)?)?;
        }
        let photo = match &file.photo {
            Some(relative) => {
                Some(image.photo(&path.parent().unwrap_or(Path::new(".")).join(relative))?)
            }
            None => None,
        };

        Ok(CardFixture {
            name,
            description: file.description,
            atr,
            answer: file.answer,
            image: image.into_bytes(),
            photo,
            laser_id: file.laser_id,
            laser_answer: file.laser_answer.unwrap_or_default(),
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

/// The text field a key of `[table]` names.
fn text_field(path: &Path, table: &'static str, key: &str) -> Result<Field, FixtureError> {
    Field::from_name(key)
        .filter(|field| Field::TEXT.contains(field))
        .ok_or_else(|| FixtureError::UnknownField {
            path: path.to_owned(),
            table,
            key: key.to_owned(),
        })
}

/// Hex bytes, spaces allowed, as the protocol crate parses them.
fn parse_hex(path: &Path, key: &str, text: &str) -> Result<Vec<u8>, FixtureError> {
    thaiid_protocol::hex::parse(text).ok_or_else(|| FixtureError::Hex {
        path: path.to_owned(),
        key: key.to_owned(),
    })
}

#[cfg(test)]
mod catalog_tests;
#[cfg(test)]
pub(crate) mod tests;
