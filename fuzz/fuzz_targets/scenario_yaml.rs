//! Scenario files (`scenarios::format`): any text through the parser of scenario files and of
//! setup files; refusals must be errors with a position, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = scenarios::parser::parse("fuzz.yaml", text);
    let _ = scenarios::parser::parse_setup("fuzz.yaml", text);
});
