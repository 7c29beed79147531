//! `kickoff slot routes`: the reverse-proxy configuration of the slot map.

use super::slot_service::require_pool;
use crate::commands::Global;
use crate::commands::Session;
use crate::error::{Error, Result};
use crate::slots::routes::{self, Format, check};
use std::path::{Path, PathBuf};

/// Print the reverse-proxy configuration that routes every slot's apps.
///
/// Follows each app's URL pattern: by host name
/// (`frontend-dev2.dev.example.com` -> 127.0.0.1:3002) or by path prefix
/// (`/dev2/frontend/` -> 127.0.0.1:3002, the prefix stripped or kept per app
/// with `strip_prefix`). Requests carry Host, X-Forwarded-For, -Proto, -Host,
/// X-Forwarded-Prefix (path routing) and WebSocket upgrades. The proxy listens
/// on `slots.routing.listen` and reaches the slots on `slots.routing.upstream`.
/// TLS is left to the load balancer; comments say where certificates would go.
#[derive(Debug, clap::Args)]
pub struct RoutesArgs {
    /// nginx (nginx -c FILE runs it), caddy (a Caddyfile), haproxy
    /// (haproxy -f FILE), or json (the rules, for a load balancer script).
    #[arg(long, value_enum)]
    pub format: FormatArg,
    /// Write the configuration to FILE (replaced atomically) instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Only the server blocks (nginx), site blocks (caddy) or frontend and
    /// backends (haproxy), to include in a configuration of your own.
    #[arg(long)]
    pub server_block: bool,
    /// Compare a proxy's file (--out FILE, or the file last written with
    /// --out in this format) with the map; exit 3 and list the drift per slot
    /// and app when they differ. Writes nothing.
    #[arg(long)]
    pub check: bool,
    /// With --out: say what would be written, change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// With --check: print the result as JSON (`"schema": 1`, see docs/slots.md).
    #[arg(long, requires = "check")]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum FormatArg {
    Nginx,
    Caddy,
    Haproxy,
    Json,
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Format {
        match f {
            FormatArg::Nginx => Format::Nginx,
            FormatArg::Caddy => Format::Caddy,
            FormatArg::Haproxy => Format::Haproxy,
            FormatArg::Json => Format::Json,
        }
    }
}

/// Where `--out` files were last written, per format (`.git/kickoff/routes.json`).
fn record_path(s: &Session) -> PathBuf {
    s.repo.git_dir().join("kickoff").join("routes.json")
}

#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
struct Written {
    path: PathBuf,
    server_block: bool,
}

fn read_record(s: &Session) -> std::collections::BTreeMap<String, Written> {
    std::fs::read_to_string(record_path(s))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default()
}

pub fn run(args: RoutesArgs, g: &Global) -> Result<()> {
    let s = Session::open(g)?;
    require_pool(&s.config)?;
    let format = Format::from(args.format);
    let table = routes::table(&s.config.slots);
    if table.routes.is_empty() {
        return Err(Error::usage_hint(
            "no app of the pool is routed",
            "give the apps a URL (`url` in [slots] or in [[slots.apps]]); an app with `route = false` is left out",
        ));
    }
    if args.check {
        return check_file(&s, g, &args, format, &table);
    }
    let text = routes::render(&table, format, args.server_block);
    let Some(out) = &args.out else {
        return g.ui.data(&text);
    };
    let target = resolve_out(out)?;
    if args.dry_run {
        g.ui.info(format!("dry run: would write {}", target.display()));
        return g.ui.data(&text);
    }
    write_atomically(&target, &text)?;
    let mut record = read_record(&s);
    record.insert(
        format.as_str().into(),
        Written {
            path: std::path::absolute(&target).unwrap_or(target.clone()),
            server_block: args.server_block,
        },
    );
    let rp = record_path(&s);
    let json = serde_json::to_string_pretty(&record).expect("serializes") + "\n";
    if let Err(e) = std::fs::create_dir_all(rp.parent().expect("has a parent"))
        .and_then(|()| std::fs::write(&rp, json))
    {
        g.ui.warn_because(
            format!(
                "wrote {}, but could not remember it for --check; pass --out to --check",
                target.display()
            ),
            &e,
        );
    }
    g.ui.done(format!(
        "wrote {} ({} routes, {})",
        target.display(),
        table.routes.len(),
        format.as_str()
    ));
    Ok(())
}

fn check_file(
    s: &Session,
    g: &Global,
    args: &RoutesArgs,
    format: Format,
    table: &routes::RouteTable,
) -> Result<()> {
    let (path, server_block) = match &args.out {
        Some(p) => (p.clone(), args.server_block),
        None => match read_record(s).remove(format.as_str()) {
            Some(w) => (w.path, w.server_block || args.server_block),
            None => {
                return Err(Error::usage_hint(
                    format!("no {} routes file was written here yet", format.as_str()),
                    "name the proxy's file: kickoff slot routes --check --format FORMAT --out FILE",
                ));
            }
        },
    };
    let actual = std::fs::read_to_string(&path)
        .map_err(|e| Error::io(format!("cannot read {}", path.display()), e))?;
    let drift = match format {
        Format::Json => check::compare_json(&actual, &routes::json(table))
            .map_err(|m| Error::usage(format!("{}: {m}", path.display())))?,
        _ => check::compare_text(&actual, &routes::render(table, format, server_block)),
    };
    if args.json {
        g.ui.json(&serde_json::json!({
            "schema": 1,
            "file": path,
            "format": format.as_str(),
            "routes": table.routes.len(),
            "matches": drift.is_empty(),
            "drift": drift,
        }))?;
    }
    if drift.is_empty() {
        if args.json {
            return Ok(());
        }
        g.ui.done(format!(
            "{} matches the slot map ({} routes)",
            path.display(),
            table.routes.len()
        ));
        return Ok(());
    }
    if !args.json {
        g.ui.data(&format!(
            "{} differs from the slot map:\n{}",
            path.display(),
            drift.render()
        ))?;
    }
    Err(Error::CheckFailed {
        message: format!(
            "{} has drifted from the slot map; rewrite it with `kickoff slot routes --format {} --out {}{}` and reload the proxy",
            path.display(),
            format.as_str(),
            path.display(),
            if server_block { " --server-block" } else { "" }
        ),
    })
}

/// `--out` as given, or the file it links to (a proxy's enabled site is often
/// a link to the real file, which is the one to replace).
fn resolve_out(out: &Path) -> Result<PathBuf> {
    match std::fs::symlink_metadata(out) {
        Ok(m) if m.file_type().is_symlink() => std::fs::canonicalize(out)
            .map_err(|e| Error::io(format!("cannot follow the link {}", out.display()), e)),
        Ok(m) if m.is_dir() => Err(Error::usage(format!(
            "--out {} is a directory; name the file to write",
            out.display()
        ))),
        _ => Ok(out.to_path_buf()),
    }
}

/// Replace `path` with `text` in one step: a reader (a proxy reloading) sees
/// the old file or the new one, never half of one.
fn write_atomically(path: &Path, text: &str) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .map_err(|e| Error::io(format!("cannot write in {}", dir.display()), e))?;
    use std::io::Write;
    tmp.write_all(text.as_bytes())
        .and_then(|()| tmp.as_file().sync_all())
        .map_err(|e| Error::io(format!("cannot write {}", path.display()), e))?;
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = tmp
            .as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644));
    }
    tmp.persist(path)
        .map_err(|e| Error::io(format!("cannot write {}", path.display()), e.error))?;
    Ok(())
}
