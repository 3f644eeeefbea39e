//! The DER reader that takes a TLS client certificate's names (syslog over TLS).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = vigil_ingest::x509::cert_names(data);
});
