//! Instructions per request of the server (`instructions`): one server process under
//! `valgrind --tool=callgrind`, driven by a fixed, sequential replay of the load bench's
//! requests, so the count is repeatable on a shared machine where wall and CPU times are
//! not.
//!
//! DEVICES (8: two accounts of four) each push a batch of 20 new fuel rows and then pull
//! what their family wrote since their cursor, one request at a time, round after round.
//! Warm-up rounds fill caches and pools; then callgrind's counters are zeroed, ROUNDS
//! rounds run, and the counters are dumped: the server's instructions (all its threads)
//! divided by the requests served. `--server-exe PATH` runs another build's server (a
//! baseline) under the same replay.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use glovebox_protocol::endpoints::Endpoint;
use glovebox_protocol::sync::{PullResponse, PushRequest, PushResponse, RowOutcome, SyncRow};
use glovebox_tests::backend::{self, Backend, ServerDb};
use hyper::Method;

use crate::load::{row, Conn, Errors, ServerCommand, Servers};

const DEVICES: usize = 8;
const DEVICES_PER_ACCOUNT: usize = 4;
const WARM_UP_ROUNDS: usize = 5;

struct Device {
    index: usize,
    token: String,
    node: String,
    cursor: u64,
    n: u64,
    epoch: Option<String>,
}

/// Requests one round sent: every device pushes, then pulls until its family is drained.
async fn round(conn: &mut Conn, devices: &mut [Device], errors: &mut Errors) -> (u64, u64) {
    let (mut pushes, mut pulls) = (0, 0);
    for d in devices.iter_mut() {
        let rows: Vec<SyncRow> = (0..20)
            .map(|_| {
                d.n += 1;
                row(d.index, &d.node, d.n)
            })
            .collect();
        let body = serde_json::to_vec(&PushRequest {
            rows,
            epoch: d.epoch.clone(),
            // As the engine does: the highest number the device holds (the push lands
            // after its last pull, which went past its own last push).
            known: d.cursor,
        })
        .ok();
        pushes += 1;
        if let Some(b) = conn
            .call(Method::POST, Endpoint::Push.path(), &d.token, body, errors)
            .await
        {
            match serde_json::from_slice::<PushResponse>(&b) {
                Ok(r) => {
                    errors.rejected_rows += r
                        .results
                        .iter()
                        .filter(|x| x.result != RowOutcome::Applied)
                        .count() as u64;
                    d.epoch = Some(r.epoch);
                }
                Err(_) => errors.body += 1,
            }
        }
        for _ in 0..10 {
            let mut path = format!("{}?since={}&limit=500", Endpoint::Pull.path(), d.cursor);
            if let Some(e) = &d.epoch {
                path.push_str(&format!("&epoch={e}"));
            }
            pulls += 1;
            let Some(b) = conn.call(Method::GET, &path, &d.token, None, errors).await else {
                break;
            };
            match serde_json::from_slice::<PullResponse>(&b) {
                Ok(p) => {
                    d.cursor = p.cursor;
                    d.epoch = Some(p.epoch);
                    if !p.has_more {
                        break;
                    }
                }
                Err(_) => {
                    errors.body += 1;
                    break;
                }
            }
        }
    }
    (pushes, pulls)
}

fn callgrind_control(args: &[&str], pid: u32) -> Result<(), String> {
    let status = Command::new("callgrind_control")
        .args(args)
        .arg(pid.to_string())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .map_err(|e| format!("callgrind_control: {e} (install valgrind)"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("callgrind_control {args:?} {pid}: {status}"))
    }
}

/// The `totals:` (or `summary:`) instruction count of a callgrind dump.
fn dump_total(path: &Path) -> Option<u64> {
    let text = std::fs::read_to_string(path).ok()?;
    text.lines()
        .find_map(|l| {
            l.strip_prefix("totals:")
                .or_else(|| l.strip_prefix("summary:"))
        })
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
}

/// Runs the replay and prints instructions per request.
pub fn instructions(rounds: usize, server_exe: Option<std::path::PathBuf>) -> Result<u64, String> {
    let backend = Backend::from_env();
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let rt = crate::runtime();
    let db = rt.block_on(ServerDb::create(&backend, dir.path()));
    let spec = db.spec();
    let out = dir.path().join("callgrind.out");
    let mut devices: Vec<Device> = {
        let storage = backend::open_storage(&spec).map_err(|e| e.to_string())?;
        (0..DEVICES)
            .map(|index| {
                let account = format!("family{}", index / DEVICES_PER_ACCOUNT);
                let (token, node) = crate::mint(storage.as_ref(), &account);
                Device {
                    index,
                    token,
                    node,
                    cursor: 0,
                    n: 0,
                    epoch: None,
                }
            })
            .collect()
    };
    let mut wrapper = vec![
        "valgrind".to_owned(),
        "--tool=callgrind".into(),
        "--quiet".into(),
        format!("--callgrind-out-file={}", out.display()),
    ];
    // More callgrind options for a closer look, e.g. --separate-callers=4.
    if let Ok(extra) = std::env::var("GLOVEBOX_CALLGRIND_ARGS") {
        wrapper.extend(extra.split_whitespace().map(str::to_owned));
    }
    let how = ServerCommand {
        exe: server_exe.clone(),
        wrapper,
    };
    println!(
        "== instructions: {} server ({}), {DEVICES} devices, {rounds} rounds after {WARM_UP_ROUNDS} warm-up",
        backend.name(),
        server_exe.as_ref().map_or("this build".into(), |p| p.display().to_string())
    );
    let servers = Servers::spawn(&how, &spec, 1, true, dir.path())?;
    let pid = servers.pids()[0];
    let mut conn = Conn::new(servers.addrs[0]);
    let mut errors = Errors::default();
    let t = Instant::now();
    let (pushes, pulls) = rt.block_on(async {
        for _ in 0..WARM_UP_ROUNDS {
            round(&mut conn, &mut devices, &mut errors).await;
        }
        callgrind_control(&["--zero"], pid)?;
        let (mut pushes, mut pulls) = (0, 0);
        for _ in 0..rounds {
            let (a, b) = round(&mut conn, &mut devices, &mut errors).await;
            pushes += a;
            pulls += b;
        }
        callgrind_control(&["--dump"], pid)?;
        Ok::<_, String>((pushes, pulls))
    })?;
    drop(servers);
    if errors.requests() + errors.rejected_rows > 0 {
        return Err(format!("the replay had errors: {}", errors.describe()));
    }
    // The dump is OUT.1 (the first dump of the process); its end-of-run file follows.
    let dumped = std::fs::read_dir(dir.path())
        .map_err(|e| e.to_string())?
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("callgrind.out") && n.ends_with(".1"))
        })
        .find_map(|p| dump_total(&p).map(|t| (p, t)));
    let (path, total) = dumped.ok_or("no callgrind dump found")?;
    let requests = pushes + pulls;
    let per = total / requests.max(1);
    println!(
        "   {requests} requests ({pushes} pushes of 20 rows, {pulls} pulls) in {:.1?} under callgrind",
        t.elapsed()
    );
    println!(
        "   server: {total} instructions, {per} per request ({:.0} per push+pull round of a device)",
        total as f64 / pushes.max(1) as f64
    );
    if let Ok(keep) = std::env::var("GLOVEBOX_CALLGRIND_KEEP") {
        let _ = std::fs::copy(&path, &keep);
        println!("   dump kept at {keep} (callgrind_annotate --inclusive=yes {keep})");
    }
    drop(db);
    Ok(per)
}
