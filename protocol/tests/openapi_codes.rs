//! The agent's `openapi.json` lists exactly the codes of this crate: its `ErrorCode`
//! enum is [`AgentErrorCode`], and the server reasons it names with `SERVER_REJECTED`
//! are [`ServerErrorCode`]. A code missing on either side fails.

use serde_json::Value;
use std::collections::BTreeSet;
use thaiid_protocol::api::{AgentErrorCode, ServerErrorCode};

fn openapi() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../agent/assets/openapi.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn listed(enumeration: &Value) -> BTreeSet<String> {
    let codes = enumeration.as_array().expect("an enum array");
    let set: BTreeSet<String> = codes
        .iter()
        .map(|code| code.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(set.len(), codes.len(), "a code listed twice: {enumeration}");
    set
}

/// Fails on a code only one side has, naming the side that lacks it.
fn assert_same(enum_name: &str, code: impl Iterator<Item = &'static str>, json: &BTreeSet<String>) {
    let code: BTreeSet<String> = code.map(str::to_owned).collect();
    let missing: Vec<_> = code.difference(json).collect();
    let extra: Vec<_> = json.difference(&code).collect();
    assert!(missing.is_empty(), "not in openapi.json: {missing:?}");
    assert!(extra.is_empty(), "not in {enum_name}: {extra:?}");
}

#[test]
fn the_agent_error_codes_are_the_enums() {
    let doc = openapi();
    let json = listed(&doc["components"]["schemas"]["ErrorCode"]["enum"]);
    let code = AgentErrorCode::ALL.iter().map(|c| c.as_str());
    assert_same("AgentErrorCode", code, &json);
}

#[test]
fn the_server_reasons_are_the_enums() {
    let doc = openapi();
    let reason = &doc["components"]["schemas"]["Error"]["properties"]["error"]["properties"]
        ["reason"]["$ref"];
    assert_eq!(reason, "#/components/schemas/ServerReason");
    let any_of = doc["components"]["schemas"]["ServerReason"]["anyOf"]
        .as_array()
        .unwrap();
    let enumeration = any_of
        .iter()
        .find_map(|choice| choice.get("enum"))
        .expect("ServerReason lists the codes");
    let json = listed(enumeration);
    let code = ServerErrorCode::ALL.iter().map(|c| c.as_str());
    assert_same("ServerErrorCode", code, &json);
}

#[test]
fn the_enums_round_trip_their_codes() {
    for &code in AgentErrorCode::ALL {
        assert_eq!(AgentErrorCode::parse(code.as_str()), Some(code));
        assert_eq!(
            serde_json::to_value(code).unwrap(),
            Value::from(code.as_str())
        );
    }
    for &code in ServerErrorCode::ALL {
        assert_eq!(ServerErrorCode::parse(code.as_str()), Some(code));
        assert_eq!(
            serde_json::to_value(code).unwrap(),
            Value::from(code.as_str())
        );
    }
}
