//! Who a request came from, as the throttles count it: the client behind a trusted reverse
//! proxy, and the key an address is counted under.
//!
//! Owns only the reading of addresses; what is counted against them belongs to each throttle
//! (the dashboard's login limiter, the device API's refusal budget).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The client a request is counted as: the TCP peer, or, when the peer is one of
/// `trusted_proxies`, the last address it put in `X-Forwarded-For` (earlier entries are the
/// client's to write and are never believed).
pub fn client_address(trusted_proxies: &[IpAddr], peer: Option<IpAddr>, forwarded_for: Option<&str>) -> Option<IpAddr> {
    let peer = peer?;
    if !trusted_proxies.contains(&peer) {
        return Some(peer);
    }
    let appended = forwarded_for.and_then(|v| v.rsplit(',').next()).map(str::trim);
    Some(appended.and_then(|a| a.parse().ok()).unwrap_or(peer))
}

/// The key a throttle counts an address under: an IPv4 address, or an IPv6 /64 (one
/// subscriber's network: whoever holds one address holds all of it).
pub fn throttle_key(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V6(v6) if v6.to_ipv4_mapped().is_none() => {
            let s = v6.segments();
            IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
        IpAddr::V6(v6) => IpAddr::V4(v6.to_ipv4_mapped().unwrap_or(Ipv4Addr::UNSPECIFIED)),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn an_ipv6_subscriber_is_one_key_and_a_mapped_ipv4_is_its_ipv4() {
        for (addr, key) in [
            ("203.0.113.7", "203.0.113.7"),
            ("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::"),
            ("2001:db8:1:2::1", "2001:db8:1:2::"),
            ("2001:db8:1:3::1", "2001:db8:1:3::"),
            ("::ffff:198.51.100.2", "198.51.100.2"),
        ] {
            assert_eq!(throttle_key(ip(addr)), ip(key), "{addr}");
        }
    }
}
