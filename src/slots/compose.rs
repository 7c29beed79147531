//! The compose override `kickoff deploy` writes for a slot,
//! `<env_dir>/<slot>.compose.yml`: the project name, each service's published
//! port and, for apps with an `image`, the image tagged for the deployed
//! commit. With it, one compose file serves every slot:
//!
//! ```text
//! docker compose -f compose.yml -f <env_dir>/dev2.compose.yml --env-file <env_dir>/dev2.env up -d
//! ```
//!
//! Ports are published on `slots.routing.upstream` when `[slots.routing]` sets
//! an IPv4 address (the proxy reaches them there and nothing else does), on
//! every interface otherwise. Compose appends `ports` of an override to the
//! base file's, so the base file should not publish them itself.
//!
//! Every value is written as a double-quoted YAML scalar with JSON escaping
//! (valid YAML); keys are validated service names.

use super::config::SlotsConfig;
use std::fmt::Write;

/// The override for `slot` running the images tagged `image_tag`.
pub fn render(c: &SlotsConfig, slot: &str, kickoff: &str, image_tag: &str) -> String {
    let q = |s: &str| serde_json::to_string(s).expect("a string serializes");
    let bind = if c.routing.configured && c.routing.upstream.parse::<std::net::Ipv4Addr>().is_ok() {
        format!("{}:", c.routing.upstream)
    } else {
        String::new()
    };
    let mut out = format!(
        "# Written by kickoff deploy: {kickoff} on {slot}. The next deploy replaces it.\n\
         # docker compose -f compose.yml -f {slot}.compose.yml --env-file {slot}.env up -d\n\
         name: {}\n\
         services:\n",
        q(&c.project(slot))
    );
    for (app, e) in c.apps.iter().zip(c.endpoints(slot)) {
        let _ = writeln!(out, "  {}:", e.service);
        if let Some(image) = &app.image {
            let _ = writeln!(out, "    image: {}", q(&format!("{image}:{image_tag}")));
        }
        let _ = writeln!(
            out,
            "    ports:\n      - {}",
            q(&format!("{bind}{}:{}", e.port, e.internal_port))
        );
    }
    out
}

/// The file name of a slot's override, next to its environment file.
pub fn file_name(slot: &str) -> String {
    format!("{slot}.compose.yml")
}
