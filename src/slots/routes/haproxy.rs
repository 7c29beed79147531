//! The HAProxy form: a complete configuration (`haproxy -f FILE`), or with
//! `server_block` only the `frontend` and `backend` sections, for a second
//! `-f` after a file that holds `global` and `defaults`.
//!
//! One frontend with an ACL per rule; `use_backend` lines go longest prefix
//! first because HAProxy takes the first that matches. One backend per slot
//! and app, which sets `X-Forwarded-Prefix` and strips the prefix when asked.

use super::{Route, RouteTable};
use std::fmt::Write;

pub fn render(t: &RouteTable, header: &str, server_block: bool) -> String {
    let mut out = super::comment(header);
    if server_block {
        out.push_str(
            "# Load it after the file with your global and defaults sections (mode http):\n\
             # haproxy -f haproxy.cfg -f THIS_FILE\n\n",
        );
    } else {
        out.push_str(
            "# A complete configuration: haproxy -f THIS_FILE (haproxy -c -f THIS_FILE checks it).\n\n\
             global\n\
             \x20   maxconn 4096\n\
             \x20   log stdout format raw local0\n\n\
             defaults\n\
             \x20   mode http\n\
             \x20   log global\n\
             \x20   option httplog\n\
             \x20   timeout connect 5s\n\
             \x20   timeout client 60s\n\
             \x20   timeout server 60s\n\
             \x20   # WebSocket connections stay open this long without traffic.\n\
             \x20   timeout tunnel 1h\n\n",
        );
    }
    let _ = writeln!(
        out,
        "frontend kickoff_slots\n\
         \x20   bind {}:{}\n\
         \x20   # TLS is terminated at the load balancer. To terminate it here instead:\n\
         \x20   # bind :443 ssl crt /etc/haproxy/certs/\n\
         \x20   option forwardfor\n\
         \x20   http-request set-header X-Forwarded-Proto http unless {{ req.hdr(x-forwarded-proto) -m found }}\n\
         \x20   http-request set-header X-Forwarded-Host %[req.hdr(host)]",
        t.listen_host, t.listen_port
    );
    for r in t.most_specific_first() {
        let id = r.id();
        marker(&mut out, r);
        let _ = writeln!(
            out,
            "    acl host_{id} req.hdr(host),field(1,:),lower -m str {}",
            r.host
        );
        if r.by_path() {
            let _ = writeln!(out, "    acl path_{id} path -m beg {}", r.prefix);
            let _ = writeln!(out, "    use_backend {id} if host_{id} path_{id}");
        } else {
            let _ = writeln!(out, "    use_backend {id} if host_{id}");
        }
    }
    out.push_str("    # Any other host or path: no slot answers there.\n");
    out.push_str("    default_backend kickoff_no_route\n\n");
    for r in &t.routes {
        marker(&mut out, r);
        let _ = writeln!(out, "backend {}", r.id());
        if r.by_path() {
            let _ = writeln!(
                out,
                "    http-request set-header X-Forwarded-Prefix {}",
                r.forwarded_prefix()
            );
        }
        if r.strips() {
            // The prefix is letters, digits and `-._~` only; escape the dots.
            let re = r.forwarded_prefix().replace('.', "\\.");
            let _ = writeln!(out, "    http-request replace-path '^{re}/(.*)$' '/\\1'");
        }
        let _ = writeln!(out, "    server {} {}\n", r.id(), r.target());
    }
    out.push_str("backend kickoff_no_route\n    http-request deny deny_status 404\n");
    out
}

fn marker(out: &mut String, r: &Route) {
    let _ = writeln!(out, "{}", super::marker(r, "    "));
}
