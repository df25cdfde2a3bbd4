//! A TCP proxy that injects faults between a process and one of its dependencies (PostgreSQL,
//! moto, FerretDB): the fault-injection suite (`cli/tests/faults/`, `scripts/faults`) points the
//! server's `DATABASE_URL`, `AWS_ENDPOINT_URL` and `MONGODB_URI` at one proxy each and switches
//! them while the server is under load.
//!
//! ```ignore
//! let pg = FaultProxy::start("127.0.0.1:5432".parse()?).await?;
//! let url = pg.url_for("postgres://postgres@127.0.0.1:5432/db");   // …@127.0.0.1:<proxy>/db
//! pg.down();                      // every connection closed, new ones reset at once
//! pg.pass();                      // back to normal
//! pg.latency(Duration::from_millis(500));   // each chunk towards the client waits 500 ms
//! pg.reset_all();                 // every live connection aborted (RST) mid-stream
//! ```
//!
//! Modes, switchable at any time and applying to live connections as well as new ones:
//!
//! * [`Mode::Pass`]: bytes are copied both ways as they come.
//! * [`Mode::Down`]: the dependency is gone. Switching to it closes every live connection (FIN
//!   both ways); while in it, a new connection is accepted and aborted at once (RST), which a
//!   client sees as a refused connection.
//! * [`Mode::Latency`]: each chunk read from the dependency waits that long before it is passed on
//!   to the client (one request/response round trip is that much slower). Requests are not delayed,
//!   so the order of bytes is kept.
//!
//! And one action: [`FaultProxy::reset_all`] aborts every live connection with a TCP reset on both
//! sides (`SO_LINGER` 0), whatever it was doing — under load, mid-transaction.
//!
//! Why in-process rather than Toxiproxy: the tests run inside `cargo test` with nothing to
//! install or start (no Go toolchain, no server, no HTTP control API); a mode switch is a function
//! call that has taken effect when it returns, so a test knows exactly when its fault began and
//! ended; and a reset is a real RST, which Toxiproxy's `reset_peer` toxic also does but only on
//! data it sees after the toxic is added.

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{ReadHalf, WriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// What the proxy does with the bytes it carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Pass,
    Down,
    Latency(Duration),
}

/// How a live connection is ended by the proxy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kill {
    /// FIN both ways.
    Close,
    /// RST both ways.
    Reset,
}

/// Counters of what the proxy did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProxyStats {
    /// Connections accepted.
    pub accepted: u64,
    /// New connections aborted because the proxy was down or the dependency refused them.
    pub refused: u64,
    /// Live connections closed by [`FaultProxy::down`].
    pub closed: u64,
    /// Live connections aborted by [`FaultProxy::reset_all`].
    pub reset: u64,
}

struct Shared {
    upstream: SocketAddr,
    mode: watch::Sender<Mode>,
    next_id: AtomicU64,
    /// The kill switch of each live connection.
    live: Mutex<HashMap<u64, watch::Sender<Option<Kill>>>>,
    stats: Mutex<ProxyStats>,
}

/// A fault-injecting TCP proxy on a random loopback port; stopped (and its connections closed)
/// when dropped.
pub struct FaultProxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept: tokio::task::JoinHandle<()>,
}

impl FaultProxy {
    /// Listens on `127.0.0.1:0` and forwards to `upstream`, in [`Mode::Pass`].
    pub async fn start(upstream: SocketAddr) -> io::Result<FaultProxy> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            upstream,
            mode: watch::Sender::new(Mode::Pass),
            next_id: AtomicU64::new(0),
            live: Mutex::default(),
            stats: Mutex::default(),
        });
        let accept = tokio::spawn(accept_loop(listener, shared.clone()));
        Ok(FaultProxy {
            addr,
            shared,
            accept,
        })
    }

    /// A proxy for the host and port of `url` (`postgres://…`, `http://…`, `mongodb://…`).
    pub async fn for_url(url: &str) -> io::Result<FaultProxy> {
        let parsed = url::Url::parse(url).map_err(io::Error::other)?;
        let host = parsed.host_str().unwrap_or("127.0.0.1");
        let port = parsed
            .port_or_known_default()
            .ok_or_else(|| io::Error::other(format!("{url} names no port")))?;
        let upstream = tokio::net::lookup_host((host, port))
            .await?
            .next()
            .ok_or_else(|| io::Error::other(format!("{host} does not resolve")))?;
        Self::start(upstream).await
    }

    /// The proxy's address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `url` with its host and port replaced by the proxy's.
    pub fn url_for(&self, url: &str) -> String {
        let mut parsed = url::Url::parse(url).expect("a URL");
        parsed
            .set_host(Some(&self.addr.ip().to_string()))
            .expect("a URL with a host");
        parsed
            .set_port(Some(self.addr.port()))
            .expect("a URL with a port");
        let mut out = parsed.to_string();
        // `Url` adds a `/` to an authority-only URL (`http://h:1` → `http://h:1/`); keep the shape.
        if !url.ends_with('/') && out.ends_with('/') && parsed.path() == "/" {
            out.pop();
        }
        out
    }

    pub fn mode(&self) -> Mode {
        *self.shared.mode.borrow()
    }

    /// Back to normal: bytes pass as they come, new connections are forwarded.
    pub fn pass(&self) {
        self.shared.mode.send_replace(Mode::Pass);
    }

    /// The dependency is gone: every live connection is closed, new ones are aborted (RST).
    pub fn down(&self) {
        self.shared.mode.send_replace(Mode::Down);
        let n = self.kill_all(Kill::Close);
        self.shared.stats.lock().unwrap().closed += n;
    }

    /// Each chunk from the dependency waits `delay` before it reaches the client.
    pub fn latency(&self, delay: Duration) {
        self.shared.mode.send_replace(Mode::Latency(delay));
    }

    /// Aborts every live connection (RST both ways); new connections are forwarded as the mode
    /// says. Returns how many were aborted.
    pub fn reset_all(&self) -> u64 {
        let n = self.kill_all(Kill::Reset);
        self.shared.stats.lock().unwrap().reset += n;
        n
    }

    /// Connections open through the proxy right now.
    pub fn live(&self) -> usize {
        self.shared.live.lock().unwrap().len()
    }

    pub fn stats(&self) -> ProxyStats {
        *self.shared.stats.lock().unwrap()
    }

    fn kill_all(&self, kill: Kill) -> u64 {
        let live = self.shared.live.lock().unwrap();
        for switch in live.values() {
            switch.send_replace(Some(kill));
        }
        live.len() as u64
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.accept.abort();
        self.kill_all(Kill::Close);
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        let Ok((client, _)) = listener.accept().await else {
            // Out of descriptors or the like: try again shortly rather than stop serving.
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        shared.stats.lock().unwrap().accepted += 1;
        tokio::spawn(connection(client, shared.clone()));
    }
}

/// Ends a socket with a reset (`SO_LINGER` 0, then close).
fn abort(stream: TcpStream) {
    let _ = stream.set_zero_linger();
    drop(stream);
}

async fn connection(mut client: TcpStream, shared: Arc<Shared>) {
    let _ = client.set_nodelay(true);
    if *shared.mode.borrow() == Mode::Down {
        shared.stats.lock().unwrap().refused += 1;
        abort(client);
        return;
    }
    let mut upstream = match TcpStream::connect(shared.upstream).await {
        Ok(s) => s,
        Err(_) => {
            // The dependency itself refused (e.g. PostgreSQL stopped): so does the proxy.
            shared.stats.lock().unwrap().refused += 1;
            abort(client);
            return;
        }
    };
    let _ = upstream.set_nodelay(true);
    let id = shared.next_id.fetch_add(1, Ordering::Relaxed);
    let (kill_tx, kill_rx) = watch::channel(None);
    shared.live.lock().unwrap().insert(id, kill_tx.clone());
    // The mode may have changed while connecting.
    if *shared.mode.borrow() == Mode::Down {
        kill_tx.send_replace(Some(Kill::Close));
    }

    {
        let (client_read, client_write) = client.split();
        let (upstream_read, upstream_write) = upstream.split();
        let to_upstream = pump(
            client_read,
            upstream_write,
            false,
            &shared,
            &kill_tx,
            kill_rx.clone(),
        );
        let to_client = pump(
            upstream_read,
            client_write,
            true,
            &shared,
            &kill_tx,
            kill_rx.clone(),
        );
        tokio::join!(to_upstream, to_client);
    }

    shared.live.lock().unwrap().remove(&id);
    let kill = *kill_rx.borrow();
    if kill == Some(Kill::Reset) {
        abort(client);
        abort(upstream);
    }
}

/// Copies one direction until EOF, an error (which aborts the whole connection, as a reset) or
/// a kill. `towards_client`: the direction the latency applies to.
async fn pump(
    mut from: ReadHalf<'_>,
    mut to: WriteHalf<'_>,
    towards_client: bool,
    shared: &Shared,
    kill_tx: &watch::Sender<Option<Kill>>,
    mut kill: watch::Receiver<Option<Kill>>,
) {
    let mut buf = vec![0u8; 16 * 1024];
    let mut mode = shared.mode.subscribe();
    loop {
        let n = tokio::select! {
            _ = killed(&mut kill) => return,
            read = from.read(&mut buf) => match read {
                Ok(0) => {
                    let _ = to.shutdown().await;
                    return;
                }
                Ok(n) => n,
                Err(_) => {
                    kill_tx.send_replace(Some(Kill::Reset));
                    return;
                }
            },
        };
        let current = *mode.borrow_and_update();
        if towards_client && let Mode::Latency(delay) = current {
            tokio::select! {
                _ = killed(&mut kill) => return,
                _ = tokio::time::sleep(delay) => {}
            }
        }
        tokio::select! {
            _ = killed(&mut kill) => return,
            written = to.write_all(&buf[..n]) => if written.is_err() {
                kill_tx.send_replace(Some(Kill::Reset));
                return;
            },
        }
    }
}

/// Resolves once the connection is to be killed (the guard of the value is not kept).
async fn killed(kill: &mut watch::Receiver<Option<Kill>>) {
    let _ = kill.wait_for(Option::is_some).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An echo server on a random port.
    async fn echo() -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            loop {
                let (mut s, _) = listener.accept().await.unwrap();
                tokio::spawn(async move {
                    let mut buf = [0u8; 1024];
                    loop {
                        match s.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => {
                                if s.write_all(&buf[..n]).await.is_err() {
                                    return;
                                }
                            }
                        }
                    }
                });
            }
        });
        addr
    }

    async fn round_trip(s: &mut TcpStream) -> io::Result<Vec<u8>> {
        s.write_all(b"ping").await?;
        let mut buf = [0u8; 4];
        s.read_exact(&mut buf).await?;
        Ok(buf.to_vec())
    }

    #[tokio::test]
    async fn passes_delays_cuts_and_resets() {
        let proxy = FaultProxy::start(echo().await).await.unwrap();
        let mut s = TcpStream::connect(proxy.addr()).await.unwrap();
        assert_eq!(round_trip(&mut s).await.unwrap(), b"ping");

        proxy.latency(Duration::from_millis(200));
        let started = std::time::Instant::now();
        assert_eq!(round_trip(&mut s).await.unwrap(), b"ping");
        assert!(started.elapsed() >= Duration::from_millis(200));
        proxy.pass();

        // A reset reaches the client as an error, not an orderly EOF.
        assert_eq!(proxy.reset_all(), 1);
        let mut buf = [0u8; 4];
        let read = s.read(&mut buf).await;
        assert!(
            matches!(&read, Err(e) if e.kind() == io::ErrorKind::ConnectionReset),
            "{read:?}"
        );

        // Down: live connections closed, new ones aborted.
        let mut s = TcpStream::connect(proxy.addr()).await.unwrap();
        assert_eq!(round_trip(&mut s).await.unwrap(), b"ping");
        proxy.down();
        assert!(matches!(s.read(&mut buf).await, Ok(0) | Err(_)));
        let mut refused = TcpStream::connect(proxy.addr()).await.unwrap();
        assert!(round_trip(&mut refused).await.is_err());

        proxy.pass();
        let mut s = TcpStream::connect(proxy.addr()).await.unwrap();
        assert_eq!(round_trip(&mut s).await.unwrap(), b"ping");
        let stats = proxy.stats();
        assert_eq!((stats.closed, stats.reset), (1, 1));
        assert!(stats.refused >= 1);
    }

    #[tokio::test]
    async fn urls_point_at_the_proxy() {
        let proxy = FaultProxy::start("127.0.0.1:9".parse().unwrap())
            .await
            .unwrap();
        let port = proxy.addr().port();
        assert_eq!(
            proxy.url_for("postgres://postgres@127.0.0.1:5432/db?x=1"),
            format!("postgres://postgres@127.0.0.1:{port}/db?x=1")
        );
        assert_eq!(
            proxy.url_for("http://127.0.0.1:5000"),
            format!("http://127.0.0.1:{port}")
        );
        assert_eq!(
            proxy.url_for("mongodb://127.0.0.1:27017/"),
            format!("mongodb://127.0.0.1:{port}/")
        );
    }
}
