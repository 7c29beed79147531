//! The Caddy form: a complete Caddyfile (`caddy run --config FILE
//! --adapter caddyfile`), or with `server_block` only the site blocks, for an
//! `import` in an existing Caddyfile.
//!
//! One site per host name. `handle_path` strips a prefix, `handle` keeps it;
//! Caddy orders them longest path first. `reverse_proxy` passes the `Host`
//! header, sets `X-Forwarded-For`, `-Proto` and `-Host` (keeping the values a
//! proxy on a private address sent), and carries WebSocket upgrades on its own.

use super::{Route, RouteTable};
use std::fmt::Write;

pub fn render(t: &RouteTable, header: &str, server_block: bool) -> String {
    let mut out = super::comment(header);
    if server_block {
        out.push_str("# Import this file into a Caddyfile (its global options stay yours).\n\n");
    } else {
        let _ = writeln!(
            out,
            "# A complete Caddyfile: caddy run --config THIS_FILE --adapter caddyfile\n\n\
             {{\n\
             \t# TLS is terminated at the load balancer: plain HTTP only.\n\
             \tauto_https off\n\
             \t# No admin endpoint: restart Caddy to load a new version of this file.\n\
             \tadmin off\n\
             \thttp_port {port}\n\
             }}\n",
            port = t.listen_port
        );
    }
    for (host, routes) in t.by_host() {
        let _ = writeln!(out, "http://{host}:{} {{", t.listen_port);
        bind(&mut out, t);
        let _ = writeln!(
            out,
            "\t# TLS is terminated at the load balancer. To terminate it here instead, use\n\
             \t# https://{host} as the address and add: tls /etc/ssl/{host}.crt /etc/ssl/{host}.key"
        );
        for r in &routes {
            let _ = writeln!(out, "{}", super::marker(r, "\t"));
            if !r.by_path() {
                proxy(&mut out, r, "\t");
                continue;
            }
            let directive = if r.strips() { "handle_path" } else { "handle" };
            let _ = writeln!(out, "\t{directive} {}* {{", r.prefix);
            proxy(&mut out, r, "\t\t");
            out.push_str("\t}\n");
        }
        if routes.iter().all(|r| r.by_path()) {
            // A path no slot answers: say so instead of an empty page.
            out.push_str("\thandle {\n\t\trespond \"no route\" 404\n\t}\n");
        }
        out.push_str("}\n\n");
    }
    if !server_block {
        let _ = writeln!(
            out,
            "# Any other host: no slot answers there.\nhttp://:{} {{",
            t.listen_port
        );
        bind(&mut out, t);
        out.push_str("\trespond \"no route\" 404\n}\n");
    }
    out
}

fn bind(out: &mut String, t: &RouteTable) {
    let host = t.listen_host.trim_start_matches('[').trim_end_matches(']');
    if host != "0.0.0.0" && host != "::" {
        let _ = writeln!(out, "\tbind {host}");
    }
}

/// `reverse_proxy` to the rule's target. The load balancer in front is on a
/// private network: its `X-Forwarded-*` values are kept (Caddy drops them
/// from anyone it does not trust).
fn proxy(out: &mut String, r: &Route, ind: &str) {
    let _ = writeln!(out, "{ind}reverse_proxy {} {{", r.target());
    let _ = writeln!(out, "{ind}\ttrusted_proxies private_ranges");
    if r.by_path() {
        let _ = writeln!(
            out,
            "{ind}\theader_up X-Forwarded-Prefix {}",
            r.forwarded_prefix()
        );
    }
    let _ = writeln!(out, "{ind}}}");
}
