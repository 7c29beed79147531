//! The nginx form: a complete configuration file (`nginx -c FILE` runs it as
//! it is), or with `server_block` only what goes inside an existing `http {}`
//! block through an `include` (the two `map`s and the `server` blocks).
//!
//! One `server` per host name; inside it one `location` per prefix. A
//! stripped prefix uses nginx's own rule: `proxy_pass` with a URI (`/`)
//! replaces the matched location prefix, without one the request line is
//! passed on unchanged.

use super::{Route, RouteTable};
use std::fmt::Write;

pub fn render(t: &RouteTable, header: &str, server_block: bool) -> String {
    let mut out = super::comment(header);
    if server_block {
        out.push_str("# Include this file inside the http {} block of nginx.conf.\n\n");
        out.push_str(&maps(""));
        out.push('\n');
        servers(&mut out, t, "", false);
        return out;
    }
    out.push_str(
        "# A complete configuration: nginx -c THIS_FILE (nginx -t -c THIS_FILE checks it).\n\n",
    );
    out.push_str("worker_processes 1;\n\nevents {\n    worker_connections 1024;\n}\n\nhttp {\n");
    out.push_str("    server_names_hash_bucket_size 128;\n");
    out.push_str("    access_log off;\n\n");
    out.push_str(&maps("    "));
    out.push('\n');
    servers(&mut out, t, "    ", true);
    out.push_str("}\n");
    out
}

/// The WebSocket `Connection` header and the scheme a load balancer in front
/// reported (this proxy itself only sees plain HTTP).
fn maps(ind: &str) -> String {
    format!(
        "{ind}map $http_upgrade $kickoff_connection_upgrade {{\n\
         {ind}    default upgrade;\n\
         {ind}    ''      close;\n\
         {ind}}}\n\
         {ind}map $http_x_forwarded_proto $kickoff_forwarded_proto {{\n\
         {ind}    default $http_x_forwarded_proto;\n\
         {ind}    ''      $scheme;\n\
         {ind}}}\n"
    )
}

fn servers(out: &mut String, t: &RouteTable, ind: &str, default_server: bool) {
    let listen = format!("{}:{}", t.listen_host, t.listen_port);
    for (host, routes) in t.by_host() {
        let _ = writeln!(out, "{ind}server {{");
        let _ = writeln!(out, "{ind}    listen {listen};");
        let _ = writeln!(out, "{ind}    server_name {host};");
        let _ = writeln!(
            out,
            "{ind}    # TLS is terminated at the load balancer. To terminate it here instead:\n\
             {ind}    # listen 443 ssl; ssl_certificate /etc/ssl/{host}.crt; ssl_certificate_key /etc/ssl/{host}.key;"
        );
        for r in &routes {
            location(out, r, &format!("{ind}    "));
        }
        if routes.iter().all(|r| r.by_path()) {
            // Otherwise nginx would serve files from its default root here.
            let _ = writeln!(
                out,
                "{ind}    # A path no slot answers.\n{ind}    location / {{\n{ind}        return 404;\n{ind}    }}"
            );
        }
        let _ = writeln!(out, "{ind}}}\n");
    }
    if default_server {
        let _ = writeln!(
            out,
            "{ind}# Any other host: no slot answers there.\n\
             {ind}server {{\n\
             {ind}    listen {listen} default_server;\n\
             {ind}    server_name _;\n\
             {ind}    return 404;\n\
             {ind}}}"
        );
    }
}

fn location(out: &mut String, r: &Route, ind: &str) {
    let _ = writeln!(out, "{}", super::marker(r, ind));
    let _ = writeln!(out, "{ind}location {} {{", r.prefix);
    let uri = if r.strips() { "/" } else { "" };
    let _ = writeln!(out, "{ind}    proxy_pass http://{}{uri};", r.target());
    let _ = write!(
        out,
        "{ind}    proxy_http_version 1.1;\n\
         {ind}    proxy_set_header Host $host;\n\
         {ind}    proxy_set_header X-Real-IP $remote_addr;\n\
         {ind}    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n\
         {ind}    proxy_set_header X-Forwarded-Proto $kickoff_forwarded_proto;\n\
         {ind}    proxy_set_header X-Forwarded-Host $host;\n\
         {ind}    proxy_set_header Upgrade $http_upgrade;\n\
         {ind}    proxy_set_header Connection $kickoff_connection_upgrade;\n"
    );
    if r.by_path() {
        let _ = writeln!(
            out,
            "{ind}    proxy_set_header X-Forwarded-Prefix {};",
            r.forwarded_prefix()
        );
    }
    let _ = writeln!(out, "{ind}}}");
}
