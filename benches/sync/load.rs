//! The server under load: simulated devices against real server processes on loopback.
//!
//! Each device is what the app is to the server: its own token, its own persistent HTTP/1.1
//! connection (reopened if the server closes it), and a loop of push a batch of 20 new
//! fuel rows, pull what its family (4 devices per account) wrote since its cursor, wait
//! THINK ±50 %. The servers run as child processes (this binary re-executed with `serve`),
//! so their CPU time is read from /proc apart from the generator's; with PostgreSQL the
//! cluster's CPU (postmaster and backends) is read too. Devices are spread round-robin over
//! the server processes, as a load balancer with keep-alive would.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use glovebox_core::perf::Health;
use glovebox_protocol::endpoints::Endpoint;
use glovebox_protocol::sync::{
    PullResponse, PushRequest, PushResponse, RowOutcome, SyncRow, PROTOCOL_HEADER, PROTOCOL_VERSION,
};
use glovebox_protocol::Hlc;
use glovebox_tests::backend::{self, Backend, ServerDb, StorageSpec};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::{self, SendRequest};
use hyper::{header, Method, Request, StatusCode};

use crate::measure::{self, MachineCpu, Profile};

/// A request that takes longer than this counts as an error (timeout).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// p99 the server should stay under (issue 13).
const TARGET_P99: Duration = Duration::from_millis(250);
const ROWS_PER_PUSH: u64 = 20;
const DEVICES_PER_ACCOUNT: usize = 4;

#[derive(Debug, Clone)]
pub struct LoadParams {
    pub devices: usize,
    pub seconds: u64,
    pub think_ms: u64,
    pub backend: Backend,
    pub processes: usize,
    pub perf: bool,
    /// SQLite only: fsync at every commit (what glovebox-server runs).
    pub synchronous_full: bool,
    pub server: ServerCommand,
}

impl LoadParams {
    fn label(&self) -> String {
        let sync = if self.backend == Backend::Sqlite && !self.synchronous_full {
            " (synchronous=NORMAL)"
        } else {
            ""
        };
        format!(
            "{} devices, think {} s, {} ×{}{sync}",
            self.devices,
            self.think_ms as f64 / 1000.0,
            self.backend.name(),
            self.processes
        )
    }
}

#[derive(Debug, Default)]
pub(crate) struct Errors {
    connect: u64,
    io: u64,
    timeout: u64,
    status: BTreeMap<u16, u64>,
    pub(crate) body: u64,
    pub(crate) rejected_rows: u64,
}

impl Errors {
    pub(crate) fn requests(&self) -> u64 {
        self.connect + self.io + self.timeout + self.status.values().sum::<u64>() + self.body
    }

    fn add(&mut self, o: &Errors) {
        self.connect += o.connect;
        self.io += o.io;
        self.timeout += o.timeout;
        self.body += o.body;
        self.rejected_rows += o.rejected_rows;
        for (k, v) in &o.status {
            *self.status.entry(*k).or_default() += v;
        }
    }

    pub(crate) fn describe(&self) -> String {
        let mut parts = Vec::new();
        for (name, n) in [
            ("connect", self.connect),
            ("io", self.io),
            ("timeout", self.timeout),
            ("bad body", self.body),
            ("rejected rows", self.rejected_rows),
        ] {
            if n > 0 {
                parts.push(format!("{name} {n}"));
            }
        }
        for (code, n) in &self.status {
            parts.push(format!("HTTP {code} ×{n}"));
        }
        if parts.is_empty() {
            "none".into()
        } else {
            parts.join(", ")
        }
    }
}

#[derive(Debug, Default)]
struct DeviceOut {
    push: Vec<Duration>,
    pull: Vec<Duration>,
    errors: Errors,
    connects: u64,
}

enum Failure {
    Connect,
    Io,
}

/// One device's connection to its server process.
pub(crate) struct Conn {
    addr: SocketAddr,
    sender: Option<SendRequest<Full<Bytes>>>,
    connects: u64,
}

impl Conn {
    pub(crate) fn new(addr: SocketAddr) -> Conn {
        Conn {
            addr,
            sender: None,
            connects: 0,
        }
    }

    async fn open(&mut self) -> Result<(), Failure> {
        let tcp = tokio::net::TcpStream::connect(self.addr)
            .await
            .map_err(|_| Failure::Connect)?;
        let _ = tcp.set_nodelay(true);
        let (sender, conn) = http1::handshake(hyper_util::rt::TokioIo::new(tcp))
            .await
            .map_err(|_| Failure::Connect)?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        self.sender = Some(sender);
        self.connects += 1;
        Ok(())
    }

    /// Sends one request on the open connection (opening it first if needed, and once more
    /// if the server had closed an idle one) and reads the whole response.
    async fn send(
        &mut self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<Vec<u8>>,
    ) -> Result<(StatusCode, Bytes), Failure> {
        let mut reopened = false;
        loop {
            if self.sender.as_ref().is_none_or(|s| s.is_closed()) {
                self.open().await?;
                reopened = true;
            }
            let sender = self.sender.as_mut().ok_or(Failure::Connect)?;
            if sender.ready().await.is_err() {
                self.sender = None;
                if reopened {
                    return Err(Failure::Io);
                }
                continue;
            }
            let mut req = Request::builder()
                .method(method.clone())
                .uri(path)
                .header(header::HOST, self.addr.to_string())
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string());
            if body.is_some() {
                req = req.header(header::CONTENT_TYPE, "application/json");
            }
            let req = req
                .body(Full::new(Bytes::from(body.clone().unwrap_or_default())))
                .map_err(|_| Failure::Io)?;
            let resp = match sender.send_request(req).await {
                Ok(r) => r,
                Err(_) => {
                    self.sender = None;
                    return Err(Failure::Io);
                }
            };
            let status = resp.status();
            return match resp.into_body().collect().await {
                Ok(b) => Ok((status, b.to_bytes())),
                Err(_) => {
                    self.sender = None;
                    Err(Failure::Io)
                }
            };
        }
    }

    /// [`Conn::send`] bounded by [`REQUEST_TIMEOUT`]; failures are counted in `errors`.
    pub(crate) async fn call(
        &mut self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<Vec<u8>>,
        errors: &mut Errors,
    ) -> Option<Bytes> {
        let r = tokio::time::timeout(REQUEST_TIMEOUT, self.send(method, path, token, body)).await;
        match r {
            Err(_) => {
                self.sender = None;
                errors.timeout += 1;
                None
            }
            Ok(Err(Failure::Connect)) => {
                errors.connect += 1;
                None
            }
            Ok(Err(Failure::Io)) => {
                errors.io += 1;
                None
            }
            Ok(Ok((status, body))) if status.is_success() => Some(body),
            Ok(Ok((status, _))) => {
                *errors.status.entry(status.as_u16()).or_default() += 1;
                None
            }
        }
    }
}

/// A new fuel row of simulated device `index`: a UUID-form id, stamped now.
pub(crate) fn row(index: usize, node: &str, n: u64) -> SyncRow {
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    let data = serde_json::json!({
        "vehicle_id": "0190a000-0000-7000-8000-000000000001", "occurred_at": 1_700_000_000 + n,
        "odometer": 12345.6, "quantity": 41.2, "total_cost": 7345, "is_full": 1,
        "missed_previous": 0, "station": "Shell Main St", "notes": "", "tags": ""
    });
    SyncRow {
        table: "fuel_records".into(),
        id: format!("{:08x}-0000-7000-8000-{n:012x}", index as u32),
        hlc: Hlc::new(millis, 0, node.to_owned()),
        deleted: false,
        data: data.as_object().cloned().unwrap_or_default(),
    }
}

async fn device(
    index: usize,
    token: String,
    node: String,
    addr: SocketAddr,
    start_after: Duration,
    think: Duration,
    deadline: Instant,
) -> DeviceOut {
    let mut out = DeviceOut::default();
    let mut conn = Conn {
        addr,
        sender: None,
        connects: 0,
    };
    let (mut cursor, mut n, mut epoch) = (0u64, 0u64, None::<String>);
    tokio::time::sleep(start_after).await;
    while Instant::now() < deadline {
        let rows: Vec<SyncRow> = (0..ROWS_PER_PUSH)
            .map(|_| {
                n += 1;
                row(index, &node, n)
            })
            .collect();
        let body = serde_json::to_vec(&PushRequest {
            rows,
            epoch: epoch.clone(),
            // As the engine does: the highest number the device holds (its last pull
            // went past its own last push).
            known: cursor,
        })
        .ok();
        let t = Instant::now();
        let push = Endpoint::Push.path();
        if let Some(b) = conn
            .call(Method::POST, push, &token, body, &mut out.errors)
            .await
        {
            match serde_json::from_slice::<PushResponse>(&b) {
                Ok(r) => {
                    out.push.push(t.elapsed());
                    out.errors.rejected_rows += r
                        .results
                        .iter()
                        .filter(|x| x.result == RowOutcome::Rejected)
                        .count() as u64;
                    epoch = Some(r.epoch);
                }
                Err(_) => out.errors.body += 1,
            }
        }
        // Drain what the family wrote, page by page, as the engine does.
        for _ in 0..10 {
            let mut path = format!("{}?since={cursor}&limit=500", Endpoint::Pull.path());
            if let Some(e) = &epoch {
                path.push_str(&format!("&epoch={e}"));
            }
            let t = Instant::now();
            let Some(b) = conn
                .call(Method::GET, &path, &token, None, &mut out.errors)
                .await
            else {
                break;
            };
            match serde_json::from_slice::<PullResponse>(&b) {
                Ok(p) => {
                    out.pull.push(t.elapsed());
                    cursor = p.cursor;
                    epoch = Some(p.epoch);
                    if !p.has_more {
                        break;
                    }
                }
                Err(_) => {
                    out.errors.body += 1;
                    break;
                }
            }
        }
        // Stop at the deadline rather than after a last think time (up to 90 s at 60 s).
        let jitter = 0.5 + rand::random::<f64>();
        let next = Instant::now() + think.mul_f64(jitter);
        tokio::time::sleep_until(next.min(deadline).into()).await;
    }
    out.connects = conn.connects;
    out
}

/// Server processes: a bench binary with `serve SPEC PORT_FILE`.
pub(crate) struct Servers {
    children: Vec<Child>,
    pub(crate) addrs: Vec<SocketAddr>,
}

/// How a server process is started: which bench binary serves (this one unless
/// `--server-exe` names another build, e.g. a baseline), under an optional wrapper such as
/// valgrind.
#[derive(Debug, Clone, Default)]
pub struct ServerCommand {
    pub exe: Option<PathBuf>,
    pub wrapper: Vec<String>,
}

impl ServerCommand {
    fn command(&self) -> Result<Command, String> {
        let exe = match &self.exe {
            Some(e) => e.clone(),
            None => std::env::current_exe().map_err(|e| e.to_string())?,
        };
        Ok(match self.wrapper.split_first() {
            Some((first, rest)) => {
                let mut c = Command::new(first);
                c.args(rest).arg(exe);
                c
            }
            None => Command::new(exe),
        })
    }
}

impl Servers {
    pub(crate) fn spawn(
        how: &ServerCommand,
        spec: &StorageSpec,
        n: usize,
        synchronous_full: bool,
        dir: &Path,
    ) -> Result<Servers, String> {
        let mut servers = Servers {
            children: Vec::new(),
            addrs: Vec::new(),
        };
        for k in 0..n {
            let port_file = dir.join(format!("port{k}"));
            let child = how
                .command()?
                .arg("serve")
                .arg(spec.to_string())
                .arg(&port_file)
                .arg(if synchronous_full { "full" } else { "normal" })
                .spawn()
                .map_err(|e| format!("spawning server {k}: {e}"))?;
            servers.children.push(child);
            let mut port = None;
            // Under valgrind a server takes a while to start.
            for _ in 0..2400 {
                if let Some(p) = std::fs::read_to_string(&port_file)
                    .ok()
                    .and_then(|s| s.trim().parse::<u16>().ok())
                {
                    port = Some(p);
                    break;
                }
                if let Ok(Some(status)) = servers.children[k].try_wait() {
                    return Err(format!("server process {k} exited at start: {status}"));
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let port = port.ok_or_else(|| format!("server process {k} did not start in 120 s"))?;
            servers.addrs.push(SocketAddr::from(([127, 0, 0, 1], port)));
        }
        Ok(servers)
    }

    pub(crate) fn pids(&self) -> Vec<u32> {
        self.children.iter().map(Child::id).collect()
    }

    fn cpu(&self) -> f64 {
        self.pids().into_iter().map(measure::process_cpu).sum()
    }
}

impl Drop for Servers {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

async fn health(addr: SocketAddr) -> Option<Health> {
    let mut conn = Conn {
        addr,
        sender: None,
        connects: 0,
    };
    let mut errors = Errors::default();
    let b = conn
        .call(Method::GET, Endpoint::Health.path(), "", None, &mut errors)
        .await?;
    serde_json::from_slice(&b).ok()
}

fn quantile(sorted: &[Duration], q: f64) -> Duration {
    sorted
        .get(((sorted.len() as f64 * q) as usize).min(sorted.len().saturating_sub(1)))
        .copied()
        .unwrap_or_default()
}

/// Runs one load and prints its figures.
pub fn load(p: &LoadParams) -> Result<Figures, String> {
    if p.processes > 1 && p.backend == Backend::Sqlite {
        return Err("SQLite is served by one process; use --processes 1".into());
    }
    // Client: one socket per device; each server: its share plus files and the pool.
    let need = p.devices as u64 + 256;
    if let Some(limit) = measure::open_files_limit() {
        if limit < need {
            return Err(format!(
                "{} devices need about {need} open files, but the limit is {limit}: \
                 run `ulimit -n {need}` (or more) first",
                p.devices
            ));
        }
    }
    println!("== load: {}, {} s", p.label(), p.seconds);
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let rt = crate::runtime();
    let db = rt.block_on(ServerDb::create(&p.backend, dir.path()));
    let spec = db.spec();
    let t = Instant::now();
    let tokens: Vec<(String, String)> = {
        let storage = backend::open_storage(&spec).map_err(|e| e.to_string())?;
        (0..p.devices)
            .map(|i| {
                let account = format!("family{}", i / DEVICES_PER_ACCOUNT);
                crate::mint(storage.as_ref(), &account)
            })
            .collect()
    };
    println!(
        "   {} device tokens minted in {:.1?}",
        p.devices,
        t.elapsed()
    );
    let servers = Servers::spawn(
        &p.server,
        &spec,
        p.processes,
        p.synchronous_full,
        dir.path(),
    )?;
    let profile = if p.perf {
        Profile::start(&servers.pids(), &dir.path().join("perf.data"))
    } else {
        None
    };
    let postmaster = (p.backend != Backend::Sqlite)
        .then(measure::postmaster_pid)
        .flatten();
    // PostgreSQL's backends for this run's pools exist by now (the servers opened them).
    let pg_profile = match (p.perf, postmaster) {
        (true, Some(pm)) => Profile::start(
            &measure::descendants(pm),
            &dir.path().join("perf-postgres.data"),
        ),
        _ => None,
    };
    let pg_cpu = || postmaster.map_or(0.0, measure::tree_cpu);
    let (server0, client0, pg0, machine0) = (
        servers.cpu(),
        measure::process_cpu(std::process::id()),
        pg_cpu(),
        MachineCpu::now(),
    );
    let started = Instant::now();
    let deadline = started + Duration::from_secs(p.seconds);
    let think = Duration::from_millis(p.think_ms);
    let outs: Vec<DeviceOut> = rt.block_on(async {
        let tasks: Vec<_> = tokens
            .into_iter()
            .enumerate()
            .map(|(i, (token, node))| {
                // Spread the first rounds over one think time.
                let start_after = think.mul_f64(i as f64 / p.devices as f64);
                let addr = servers.addrs[i % servers.addrs.len()];
                tokio::spawn(device(i, token, node, addr, start_after, think, deadline))
            })
            .collect();
        let mut outs = Vec::with_capacity(tasks.len());
        for t in tasks {
            outs.push(t.await.unwrap_or_default());
        }
        outs
    });
    let elapsed = started.elapsed();
    let (server_cpu, client_cpu, pg_used, machine) = (
        servers.cpu() - server0,
        measure::process_cpu(std::process::id()) - client0,
        pg_cpu() - pg0,
        MachineCpu::now().since(machine0),
    );
    let profile = profile.map(Profile::finish);
    let pg_profile = pg_profile.map(Profile::finish);
    let healths: Vec<Health> = rt.block_on(async {
        let mut v = Vec::new();
        for a in &servers.addrs {
            v.extend(health(*a).await);
        }
        v
    });
    drop(servers);

    let mut errors = Errors::default();
    let (mut push, mut pull, mut connects) = (Vec::new(), Vec::new(), 0);
    for o in &outs {
        errors.add(&o.errors);
        push.extend_from_slice(&o.push);
        pull.extend_from_slice(&o.pull);
        connects += o.connects;
    }
    push.sort();
    pull.sort();
    let mut all: Vec<Duration> = push.iter().chain(&pull).copied().collect();
    all.sort();
    let ok = all.len() as u64;
    let failed = errors.requests();
    let total = ok + failed;
    let secs = elapsed.as_secs_f64();
    let (p50, p95, p99) = (
        quantile(&all, 0.50),
        quantile(&all, 0.95),
        quantile(&all, 0.99),
    );
    let max = all.last().copied().unwrap_or_default();
    println!(
        "   {total} requests in {secs:.1} s ({:.0}/s; {} pushes, {} pulls), {connects} connections",
        total as f64 / secs,
        push.len(),
        pull.len()
    );
    println!(
        "   latency p50 {p50:.1?} p95 {p95:.1?} p99 {p99:.1?} max {max:.1?}; push p99 {:.1?}, pull p99 {:.1?}",
        quantile(&push, 0.99),
        quantile(&pull, 0.99)
    );
    println!("   errors: {} ({})", failed, errors.describe());

    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let pct = |cpu: f64| 100.0 * cpu / secs;
    let per_req = |cpu: f64| 1e6 * cpu / ok.max(1) as f64;
    let others = (machine.busy - server_cpu - client_cpu - pg_used).max(0.0);
    println!(
        "   on-CPU over {secs:.1} s ({cores} cores, machine {:.0} % busy): server {server_cpu:.1} s \
         ({:.0} % of a core, {:.0} µs/request), postgres {pg_used:.1} s ({:.0} %, {:.0} µs/request), \
         generator {client_cpu:.1} s ({:.0} %, {:.0} µs/request), other processes {others:.1} s ({:.0} %)",
        100.0 * machine.busy / machine.total.max(1e-9),
        pct(server_cpu),
        per_req(server_cpu),
        pct(pg_used),
        per_req(pg_used),
        pct(client_cpu),
        per_req(client_cpu),
        pct(others),
    );
    let verdict = verdict(
        p99,
        failed,
        machine.busy / machine.total.max(1e-9),
        [
            ("the server", server_cpu),
            ("PostgreSQL", pg_used),
            ("the load generator", client_cpu),
            ("other processes on the machine", others),
        ],
    );
    println!("   limits: {verdict}");
    print_storage(&healths, ok);
    if let Some((components, top)) = &profile {
        println!("   server on-CPU by component (perf, software clock):");
        for (name, share) in components.iter().take(12) {
            println!(
                "     {share:5.1} %  {:6.0} µs/request  {name}",
                per_req(server_cpu) * share / 100.0
            );
        }
        println!("   top symbols:");
        for line in top {
            println!("     {line}");
        }
    }
    if let Some((_, top)) = &pg_profile {
        println!(
            "   PostgreSQL on-CPU ({:.0} µs/request), top symbols:",
            per_req(pg_used)
        );
        for line in top {
            println!("     {line}");
        }
    }
    drop(db);
    Ok(Figures {
        requests_per_s: total as f64 / secs,
        p50,
        p99,
        max,
        errors: failed,
        server_us: per_req(server_cpu),
        postgres_us: per_req(pg_used),
        generator_us: per_req(client_cpu),
        machine_busy: 100.0 * machine.busy / machine.total.max(1e-9),
    })
}

/// What the matrix table shows of one run.
#[derive(Debug, Clone, Copy)]
pub struct Figures {
    requests_per_s: f64,
    p50: Duration,
    p99: Duration,
    max: Duration,
    errors: u64,
    server_us: f64,
    postgres_us: f64,
    generator_us: f64,
    machine_busy: f64,
}

impl Figures {
    /// The median of each figure over repeated runs (each on its own; errors summed).
    fn median(runs: &[Figures]) -> Figures {
        fn mid<T: Copy + PartialOrd>(mut v: Vec<T>) -> T {
            v.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
            v[v.len() / 2]
        }
        let f = |g: fn(&Figures) -> f64| mid(runs.iter().map(g).collect());
        let d = |g: fn(&Figures) -> Duration| mid(runs.iter().map(g).collect());
        Figures {
            requests_per_s: f(|r| r.requests_per_s),
            p50: d(|r| r.p50),
            p99: d(|r| r.p99),
            max: d(|r| r.max),
            errors: runs.iter().map(|r| r.errors).sum(),
            server_us: f(|r| r.server_us),
            postgres_us: f(|r| r.postgres_us),
            generator_us: f(|r| r.generator_us),
            machine_busy: f(|r| r.machine_busy),
        }
    }
}

fn verdict(p99: Duration, errors: u64, machine_busy: f64, users: [(&str, f64); 4]) -> String {
    let (top, top_cpu) = users
        .iter()
        .copied()
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap_or(("nobody", 0.0));
    if p99 <= TARGET_P99 && errors == 0 {
        format!(
            "nothing saturated: p99 within {TARGET_P99:?}, machine {:.0} % busy; most CPU: {top} ({top_cpu:.1} s)",
            100.0 * machine_busy
        )
    } else if machine_busy >= 0.9 {
        format!(
            "the machine's CPU is saturated ({:.0} % busy); the largest user is {top} ({top_cpu:.1} s)",
            100.0 * machine_busy
        )
    } else {
        format!(
            "latency without a saturated CPU ({:.0} % busy): waiting inside the server (locks, \
             one writer, the database), not computing",
            100.0 * machine_busy
        )
    }
}

/// Storage time per request from the servers' own query tracker (`/api/health`), the
/// heaviest queries first.
fn print_storage(healths: &[Health], requests: u64) {
    let mut by: BTreeMap<String, (u64, f64, u64)> = BTreeMap::new();
    for h in healths {
        for q in &h.queries {
            let e = by.entry(q.name.clone()).or_default();
            e.0 += q.count;
            e.1 += q.mean_us * q.count as f64;
            e.2 = e.2.max(q.p99_us);
        }
    }
    let mut v: Vec<_> = by.into_iter().collect();
    v.sort_by(|a, b| b.1 .1.total_cmp(&a.1 .1));
    if v.is_empty() {
        return;
    }
    println!("   storage (wall time in the server's named queries):");
    for (name, (count, total_us, p99)) in v.iter().take(8) {
        println!(
            "     {name}: {count} calls, mean {:.2} ms, p99 {:.1} ms, {:.0} µs/request",
            total_us / *count.max(&1) as f64 / 1000.0,
            *p99 as f64 / 1000.0,
            total_us / requests.max(1) as f64
        );
    }
}

/// The runs in one go: SQLite (1 process), then PostgreSQL with 1 and 3
/// processes when `GLOVEBOX_TEST_PG_URL` names a cluster; each at 1,000 devices syncing
/// every second and 10,000 devices every 60 s. The whole matrix runs `repeat` times, so
/// the backends alternate under the same conditions, and the table shows medians. `quick`
/// shortens and shrinks the runs (a check that the matrix runs, not a measurement).
pub fn matrix(quick: bool, perf: bool, repeat: usize) {
    let scenarios: [(usize, u64, u64); 2] = if quick {
        [(200, 8, 1000), (1000, 25, 10_000)]
    } else {
        [(1000, 30, 1000), (10_000, 150, 60_000)]
    };
    let mut backends = vec![(Backend::Sqlite, 1)];
    match Backend::from_env() {
        Backend::Postgres(url) => {
            backends.push((Backend::Postgres(url.clone()), 1));
            backends.push((Backend::Postgres(url), 3));
        }
        Backend::Sqlite => println!(
            "PostgreSQL runs left out: {} is not set; start a cluster with \
             eval \"$(bash scripts/pg-test-cluster.sh start --durable)\"",
            backend::PG_URL_VAR
        ),
    }
    let cells: Vec<LoadParams> = scenarios
        .iter()
        .flat_map(|&(devices, seconds, think_ms)| {
            backends.iter().map(move |(backend, processes)| LoadParams {
                devices,
                seconds,
                think_ms,
                backend: backend.clone(),
                processes: *processes,
                perf,
                synchronous_full: true,
                server: ServerCommand::default(),
            })
        })
        .collect();
    let mut runs: Vec<Vec<Figures>> = vec![Vec::new(); cells.len()];
    let mut failures: Vec<Option<String>> = vec![None; cells.len()];
    for round in 1..=repeat.max(1) {
        println!("=== round {round} of {}", repeat.max(1));
        for (i, params) in cells.iter().enumerate() {
            match load(params) {
                Ok(f) => runs[i].push(f),
                Err(e) => {
                    println!("   FAILED: {e}");
                    failures[i] = Some(e);
                }
            }
        }
    }
    println!();
    println!(
        "| devices | think | backend | requests/s | p50 | p99 | max | errors | server CPU/request | postgres CPU/request | generator CPU/request | machine busy |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for ((p, r), failure) in cells.iter().zip(&runs).zip(&failures) {
        let head = format!(
            "| {} | {} s | {} ×{}",
            p.devices,
            p.think_ms / 1000,
            p.backend.name(),
            p.processes
        );
        if r.is_empty() {
            println!("{head} | failed: {} |", failure.as_deref().unwrap_or("?"));
            continue;
        }
        let m = Figures::median(r);
        println!(
            "{head} | {:.0} | {:.1?} | {:.1?} | {:.1?} | {} | {:.0} µs | {:.0} µs | {:.0} µs | {:.0} % |",
            m.requests_per_s,
            m.p50,
            m.p99,
            m.max,
            m.errors,
            m.server_us,
            m.postgres_us,
            m.generator_us,
            m.machine_busy
        );
    }
    println!("(medians over {} round(s); errors summed)", repeat.max(1));
}
