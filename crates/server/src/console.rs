//! The admin console's files at `{issuer}/admin/`: the wasm build that `scripts/build-console`
//! lays out in `console_dir`. Asset paths are served as files; every other path is a route of the
//! single-page app and gets `index.html`. Paths are checked before they touch the disk: no `..`,
//! no absolute or encoded paths, nothing outside the directory (symbolic links included).

use std::path::{Path, PathBuf};

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::{HttpRequest, HttpResponse, web};

use crate::pages::escape;
use crate::state::AppState;

/// What the console's documents may load: their own scripts, wasm and styles, and API calls to
/// this origin; no inline script or style, no framing, no `<base>`.
pub const CSP: &str = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; \
img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Replaced in `index.html` by `{issuer path}/admin`, so assets resolve from any route depth.
const BASE_PLACEHOLDER: &str = "__VALET_ADMIN__";

/// Where a path below `/admin/` leads.
#[derive(Debug, PartialEq, Eq)]
pub enum Target {
    /// The app's page: `/admin/` itself and every client-side route.
    Index,
    /// A file of the build, with its content type.
    Asset {
        relative: PathBuf,
        content_type: &'static str,
    },
    /// Not a path this handler will look up (traversal, encoding, odd characters).
    Refused,
}

/// The content type of a file the build may contain; `None` for anything else.
fn content_type(extension: &str) -> Option<&'static str> {
    Some(match extension {
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "wasm" => "application/wasm",
        "css" => "text/css; charset=utf-8",
        "html" => "text/html; charset=utf-8",
        "json" | "map" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "txt" => "text/plain; charset=utf-8",
        _ => return None,
    })
}

/// The rule for `tail`, the request path after `/admin/` as the router matched it.
pub fn target(tail: &str) -> Target {
    let suspicious = |c: char| matches!(c, '%' | '\\' | ':' | '\0') || c.is_control();
    if tail.starts_with('/') || tail.chars().any(suspicious) {
        return Target::Refused;
    }
    let segments: Vec<&str> = tail.split('/').collect();
    if segments.iter().any(|s| *s == ".." || *s == ".") {
        return Target::Refused;
    }
    // wasm-bindgen lays files out flat, with inline JS under `snippets/`; anything deeper is a
    // route (a client_id may well end in `.js`).
    if segments.len() > 1 && segments[0] != "snippets" {
        return Target::Index;
    }
    let last = segments.last().copied().unwrap_or_default();
    let Some((_, extension)) = last.rsplit_once('.') else {
        return Target::Index;
    };
    let Some(content_type) = content_type(extension) else {
        return Target::Index;
    };
    if tail == "index.html" {
        return Target::Index;
    }
    let plain = |s: &str| {
        !s.is_empty()
            && !s.starts_with('.')
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    };
    if !segments.iter().all(|s| plain(s)) {
        return Target::Refused;
    }
    Target::Asset {
        relative: PathBuf::from(tail),
        content_type,
    }
}

/// A file read from inside `dir`, or why not.
enum Read {
    Found { bytes: Vec<u8>, etag: String },
    Missing,
}

/// Reads `dir/relative` if, with every link resolved, it is still inside `dir`.
fn read_inside(dir: &Path, relative: &Path) -> std::io::Result<Read> {
    let root = match dir.canonicalize() {
        Ok(root) => root,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Read::Missing),
        Err(e) => return Err(e),
    };
    let path = match root.join(relative).canonicalize() {
        Ok(path) => path,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Read::Missing),
        Err(e) => return Err(e),
    };
    if !path.starts_with(&root) || !path.is_file() {
        return Ok(Read::Missing);
    }
    let meta = std::fs::metadata(&path)?;
    let modified = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    Ok(Read::Found {
        bytes: std::fs::read(&path)?,
        etag: format!("\"{:x}-{modified:x}\"", meta.len()),
    })
}

pub async fn serve(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let Some(dir) = state.config.console_dir.clone() else {
        return not_built(
            "No console directory is configured (console_dir / --console-dir / VALET_CONSOLE_DIR).",
        );
    };
    let tail = req.match_info().query("tail").to_owned();
    let (relative, content_type, is_index) = match target(&tail) {
        Target::Refused => return plain(StatusCode::BAD_REQUEST, "This path is not allowed."),
        Target::Index => (
            PathBuf::from("index.html"),
            "text/html; charset=utf-8",
            true,
        ),
        Target::Asset {
            relative,
            content_type,
        } => (relative, content_type, false),
    };
    let read_dir = dir.clone();
    let read = web::block(move || read_inside(&read_dir, &relative)).await;
    let (bytes, etag) = match read {
        Ok(Ok(Read::Found { bytes, etag })) => (bytes, etag),
        Ok(Ok(Read::Missing)) if is_index => {
            // The path is for the operator's log, not for anonymous visitors.
            tracing::warn!(dir = %dir.display(), "the console directory has no index.html");
            return not_built("The configured console directory has no index.html.");
        }
        Ok(Ok(Read::Missing)) => {
            return plain(StatusCode::NOT_FOUND, "No such file in the console.");
        }
        Ok(Err(e)) if is_index => {
            tracing::warn!(error = %e, dir = %dir.display(), "the console directory cannot be read");
            return not_built("The configured console directory cannot be read.");
        }
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "a console asset cannot be read");
            return plain(StatusCode::NOT_FOUND, "No such file in the console.");
        }
        Err(_) => return plain(StatusCode::SERVICE_UNAVAILABLE, "Try again."),
    };
    let body = if is_index {
        let base = format!("{}/admin", state.config.issuer.path());
        String::from_utf8_lossy(&bytes)
            .replace(BASE_PLACEHOLDER, &base)
            .into_bytes()
    } else {
        bytes
    };
    let unchanged = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let mut response = if unchanged && req.method() == Method::GET {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::CONTENT_TYPE, content_type))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((header::ETAG, etag))
        .insert_header((header::CONTENT_SECURITY_POLICY, CSP))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"));
    if unchanged {
        response.finish()
    } else {
        response.body(body)
    }
}

/// `{issuer}/admin` → `{issuer}/admin/`: the console's address (and OAuth redirect URI) has the
/// slash, and relative asset paths need it.
pub async fn redirect_to_console(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::PermanentRedirect()
        .insert_header((
            header::LOCATION,
            format!("{}/admin/", state.config.issuer.path()),
        ))
        .finish()
}

fn plain(status: StatusCode, text: &'static str) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, "text/plain; charset=utf-8"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(text)
}

/// 503 with a page saying how to build the console.
fn not_built(reason: &str) -> HttpResponse {
    let page = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>Admin console not built · Valet</title></head><body>\
<h1>The admin console is not built</h1><p>{}</p>\
<p>Build it from the source tree with</p><pre><code>scripts/build-console</code></pre>\
<p>and start Valet with <code>--console-dir</code> (or <code>VALET_CONSOLE_DIR</code>) set to the \
directory the script prints. The admin API at <code>admin/api/v1</code> works without it.</p>\
</body></html>\n",
        escape(reason)
    );
    HttpResponse::ServiceUnavailable()
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; base-uri 'none'; frame-ancestors 'none'"),
        ))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::RETRY_AFTER, "60"))
        .body(page)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asset(path: &str, content_type: &'static str) -> Target {
        Target::Asset {
            relative: PathBuf::from(path),
            content_type,
        }
    }

    #[test]
    fn the_console_root_and_its_routes_get_the_index() {
        for tail in [
            "",
            "index.html",
            "clients",
            "clients/web-app/edit",
            "users/0190-ab/",
            "clients/a.b",
            "clients/app.js",
        ] {
            assert_eq!(target(tail), Target::Index, "{tail}");
        }
    }

    #[test]
    fn build_files_are_served_with_their_content_types() {
        assert_eq!(
            target("valet_console_bg.wasm"),
            asset("valet_console_bg.wasm", "application/wasm")
        );
        assert_eq!(
            target("valet_console.js"),
            asset("valet_console.js", "text/javascript; charset=utf-8")
        );
        assert_eq!(
            target("style.css"),
            asset("style.css", "text/css; charset=utf-8")
        );
        assert_eq!(
            target("snippets/x-1/inline0.js"),
            asset("snippets/x-1/inline0.js", "text/javascript; charset=utf-8")
        );
    }

    #[test]
    fn traversal_absolute_and_encoded_paths_are_refused() {
        for tail in [
            "../secret.js",
            "a/../../etc/passwd",
            "..",
            "./style.css",
            "/etc/passwd",
            "%2e%2e/x.js",
            "..%2fx.js",
            "a\\..\\x.js",
            "C:/x.js",
            "a\0.js",
            ".hidden.js",
            "snippets//x.js",
            "clients/../../x",
        ] {
            assert_eq!(target(tail), Target::Refused, "{tail:?}");
        }
    }

    #[test]
    fn links_out_of_the_directory_are_not_followed() {
        let root = std::env::temp_dir().join(format!("valet-console-test-{}", std::process::id()));
        let inside = root.join("dist");
        let _ = std::fs::create_dir_all(&inside);
        let _ = std::fs::write(inside.join("style.css"), "body{}");
        let _ = std::fs::write(root.join("outside.css"), "secret");
        #[cfg(unix)]
        let _ = std::os::unix::fs::symlink(root.join("outside.css"), inside.join("leak.css"));
        assert!(matches!(
            read_inside(&inside, Path::new("style.css")),
            Ok(Read::Found { .. })
        ));
        assert!(matches!(
            read_inside(&inside, Path::new("leak.css")),
            Ok(Read::Missing)
        ));
        assert!(matches!(
            read_inside(&inside, Path::new("absent.css")),
            Ok(Read::Missing)
        ));
        assert!(matches!(
            read_inside(&root.join("not-built"), Path::new("index.html")),
            Ok(Read::Missing)
        ));
        let _ = std::fs::remove_dir_all(&root);
    }

    #[actix_web::test]
    async fn an_unbuilt_console_says_how_to_build_it() {
        let response = not_built("No console directory is configured.");
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        let body = actix_web::body::to_bytes(response.into_body()).await;
        let text = body
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default();
        assert!(text.contains("scripts/build-console"));
    }
}
