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

#[cfg(test)]
mod tests {
    use super::*;

    const POOL: &str = "[slots]\nnames = [\"dev1\", \"dev2\"]\ncompose_project = \"shop-{slot}\"\n\n[[slots.apps]]\nname = \"web\"\nservice = \"web_app\"\nport = 80\nbase_port = 8001\nimage = \"registry.example.com:5000/shop/web\"\n\n[[slots.apps]]\nname = \"db\"\nport = 5432\nbase_port = 15432\n";

    fn yaml(text: &str) -> serde_json::Value {
        let v: serde_yaml_ng::Value = serde_yaml_ng::from_str(text).expect("valid YAML");
        serde_json::to_value(v).unwrap()
    }

    #[test]
    fn override_names_the_project_ports_and_images() {
        let c = crate::slots::pool_from_toml(POOL);
        let v = yaml(&render(
            &c,
            "dev2",
            "kickoff-240510-a",
            "kickoff-240510-a-0123456789ab",
        ));
        assert_eq!(
            v,
            serde_json::json!({
                "name": "shop-dev2",
                "services": {
                    "web_app": {
                        "image": "registry.example.com:5000/shop/web:kickoff-240510-a-0123456789ab",
                        "ports": ["8002:80"]
                    },
                    "db": {"ports": ["15433:5432"]}
                }
            })
        );
    }

    #[test]
    fn ports_are_published_on_the_upstream_address_when_routing_sets_one() {
        let with = |routing: &str| {
            let text = format!("{POOL}\n[slots.routing]\n{routing}\n");
            let c = crate::slots::pool_from_toml(&text);
            yaml(&render(&c, "dev1", "k", "t"))["services"]["db"]["ports"][0].clone()
        };
        assert_eq!(with("upstream = \"10.1.2.3\""), "10.1.2.3:15432:5432");
        assert_eq!(with("listen = \"0.0.0.0:8080\""), "127.0.0.1:15432:5432");
        // A host name cannot be bound: every interface.
        assert_eq!(with("upstream = \"apps.internal\""), "15432:5432");
    }
}
