//! Fetching a URL a user typed, safely: the calendar feed fetcher.
//!
//! https only; every hop's host is resolved here and each address vetted (no loopback,
//! private, link-local, shared, multicast or metadata address), then the connection goes to
//! that vetted address (`reqwest`'s `resolve` pins it, so a DNS rebind between the check and
//! the connect can't slip through); redirects are followed by hand, at most
//! [`MAX_REDIRECTS`], each hop vetted the same way; the body is capped at
//! [`MAX_BYTES`]; connect and whole-fetch timeouts; `ETag` / `Last-Modified` revalidation.
//! The URL is a secret: nothing here logs it, and errors never carry it.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

/// Redirects followed at most.
pub const MAX_REDIRECTS: usize = 3;
/// The largest feed read.
pub const MAX_BYTES: usize = 10 * 1024 * 1024;
/// Test-only: allow `http://` and loopback addresses (a fake feed on 127.0.0.1).
pub const ALLOW_LOOPBACK_ENV: &str = "TWOHATS_CALENDAR_ALLOW_LOOPBACK_HTTP";

/// How a fetch may go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FetchPolicy {
    /// Test-only: plain http and loopback addresses allowed (nothing else private is).
    pub allow_loopback_http: bool,
    pub max_bytes: usize,
    pub connect_timeout: Duration,
    /// For the whole fetch, redirects included.
    pub total_timeout: Duration,
}

impl Default for FetchPolicy {
    fn default() -> Self {
        Self {
            allow_loopback_http: false,
            max_bytes: MAX_BYTES,
            connect_timeout: Duration::from_secs(5),
            total_timeout: Duration::from_secs(20),
        }
    }
}

impl FetchPolicy {
    /// The default, with [`ALLOW_LOOPBACK_ENV`]`=1` read from the environment.
    pub fn from_env() -> Self {
        Self {
            allow_loopback_http: std::env::var(ALLOW_LOOPBACK_ENV).is_ok_and(|v| v == "1"),
            ..Self::default()
        }
    }
}

/// What the server answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetched {
    /// 304: the feed didn't change since the validators we sent.
    NotModified,
    Body {
        text: String,
        etag: Option<String>,
        last_modified: Option<String>,
    },
}

/// Why a fetch failed; never carries the URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    #[error("refused: {0}")]
    Refused(&'static str),
    #[error("the feed is larger than the limit")]
    TooLarge,
    #[error("the feed took too long")]
    Timeout,
    #[error("the server answered {0}")]
    Status(u16),
    #[error("too many redirects")]
    TooManyRedirects,
    #[error("the host could not be resolved")]
    Unresolved,
    #[error("network error")]
    Network,
    #[error("the feed is not text")]
    NotText,
}

/// Whether an address is one a user-typed URL may reach: a public unicast address.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_v4(v4);
            }
            let s = v6.segments();
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00 // unique local (fd00:ec2::254 is AWS metadata)
                || (s[0] & 0xffc0) == 0xfe80 // link-local
                || (s[0] == 0x64 && s[1] == 0xff9b) // NAT64 can reach private v4
                || (s[0] == 0x2001 && s[1] == 0x0db8)) // documentation
        }
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let o = ip.octets();
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local() // 169.254/16: cloud metadata lives here
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || o[0] == 0
        || (o[0] == 100 && (o[1] & 0xc0) == 64) // shared address space 100.64/10
        || (o[0] == 192 && o[1] == 0 && o[2] == 0) // IETF protocol assignments
        || (o[0] == 198 && (o[1] & 0xfe) == 18) // benchmarking 198.18/15
        || o[0] >= 240)
}

fn allowed(ip: IpAddr, policy: &FetchPolicy) -> bool {
    is_public(ip) || (policy.allow_loopback_http && ip.is_loopback())
}

/// The vetted address to connect to for a URL's host, or why not.
async fn vet(url: &url::Url, policy: &FetchPolicy) -> Result<SocketAddr, FetchError> {
    match url.scheme() {
        "https" => {}
        "http" if policy.allow_loopback_http => {}
        _ => return Err(FetchError::Refused("only https addresses are fetched")),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(FetchError::Refused(
            "addresses with credentials are not fetched",
        ));
    }
    let port = url
        .port_or_known_default()
        .ok_or(FetchError::Refused("no port"))?;
    let addrs: Vec<SocketAddr> = match url.host() {
        Some(url::Host::Ipv4(ip)) => vec![SocketAddr::new(IpAddr::V4(ip), port)],
        Some(url::Host::Ipv6(ip)) => vec![SocketAddr::new(IpAddr::V6(ip), port)],
        Some(url::Host::Domain(name)) => tokio::net::lookup_host((name, port))
            .await
            .map_err(|_| FetchError::Unresolved)?
            .collect(),
        None => return Err(FetchError::Refused("no host")),
    };
    let first = *addrs.first().ok_or(FetchError::Unresolved)?;
    // Every address the name has must be allowed: a name that resolves to one public and one
    // private address is refused, whichever the connection would have used.
    if addrs.iter().any(|a| !allowed(a.ip(), policy)) {
        return Err(FetchError::Refused("the address is not a public one"));
    }
    if url.scheme() == "http" && !first.ip().is_loopback() {
        return Err(FetchError::Refused("only https addresses are fetched"));
    }
    Ok(first)
}

/// Fetches a feed, revalidating with the validators of the last fetch.
pub async fn fetch(
    url: &str,
    etag: Option<&str>,
    last_modified: Option<&str>,
    policy: &FetchPolicy,
) -> Result<Fetched, FetchError> {
    match tokio::time::timeout(
        policy.total_timeout,
        fetch_hops(url, etag, last_modified, policy),
    )
    .await
    {
        Ok(result) => result,
        Err(_) => Err(FetchError::Timeout),
    }
}

async fn fetch_hops(
    url: &str,
    etag: Option<&str>,
    last_modified: Option<&str>,
    policy: &FetchPolicy,
) -> Result<Fetched, FetchError> {
    let mut current = url::Url::parse(url).map_err(|_| FetchError::Refused("not a URL"))?;
    for _hop in 0..=MAX_REDIRECTS {
        let addr = vet(&current, policy).await?;
        let host = current.host_str().unwrap_or_default().to_string();
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(policy.connect_timeout)
            .timeout(policy.total_timeout)
            .no_proxy()
            .resolve(&host, addr)
            .user_agent("twohats calendar")
            .build()
            .map_err(|_| FetchError::Network)?;
        let mut request = client.get(current.clone());
        if let Some(tag) = etag {
            request = request.header(reqwest::header::IF_NONE_MATCH, tag);
        }
        if let Some(since) = last_modified {
            request = request.header(reqwest::header::IF_MODIFIED_SINCE, since);
        }
        let response = request.send().await.map_err(classify)?;
        let status = response.status();
        if status.is_redirection() && status != reqwest::StatusCode::NOT_MODIFIED {
            let location = response
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|l| l.to_str().ok())
                .ok_or(FetchError::Status(status.as_u16()))?;
            current = current
                .join(location)
                .map_err(|_| FetchError::Refused("a redirect to something that isn't a URL"))?;
            continue;
        }
        if status == reqwest::StatusCode::NOT_MODIFIED {
            return Ok(Fetched::NotModified);
        }
        if !status.is_success() {
            return Err(FetchError::Status(status.as_u16()));
        }
        return read_body(response, policy).await;
    }
    Err(FetchError::TooManyRedirects)
}

async fn read_body(
    mut response: reqwest::Response,
    policy: &FetchPolicy,
) -> Result<Fetched, FetchError> {
    if response
        .content_length()
        .is_some_and(|n| n > policy.max_bytes as u64)
    {
        return Err(FetchError::TooLarge);
    }
    let header = |name| {
        response
            .headers()
            .get(name)
            .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
            .map(str::to_string)
    };
    let etag = header(reqwest::header::ETAG);
    let last_modified = header(reqwest::header::LAST_MODIFIED);
    let mut body: Vec<u8> = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(classify)? {
        if body.len() + chunk.len() > policy.max_bytes {
            return Err(FetchError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    let text = String::from_utf8(body).map_err(|_| FetchError::NotText)?;
    Ok(Fetched::Body {
        text,
        etag,
        last_modified,
    })
}

fn classify(error: reqwest::Error) -> FetchError {
    if error.is_timeout() {
        FetchError::Timeout
    } else {
        FetchError::Network
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_loopback_link_local_and_metadata_addresses_are_not_public() {
        for ip in [
            "127.0.0.1",
            "10.0.0.1",
            "172.16.5.4",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "::",
            "fd00:ec2::254",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
        ] {
            let ip: IpAddr = ip.parse().unwrap();
            assert!(!is_public(ip), "{ip}");
        }
        for ip in ["142.250.185.78", "2a00:1450:4001:80b::200e"] {
            assert!(is_public(ip.parse().unwrap()), "{ip}");
        }
    }
}
