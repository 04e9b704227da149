//! Every HTTP endpoint, named once: the server's router, the client and the tests all
//! take the path and method from here.

/// HTTP method of an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// Server time, protocol range, limits, server epoch. No auth.
    Status,
    /// User + password → a new device token. No auth.
    Login,
    /// Revokes the calling device's token.
    Logout,
    /// Upload row versions; one outcome per row.
    Push,
    /// Download row versions after a cursor.
    Pull,
    /// Health snapshot (no user data). No auth.
    Health,
    /// Prometheus text. Guarded by the metrics token or a separate listen address.
    Metrics,
}

impl Endpoint {
    pub const ALL: [Endpoint; 7] = [
        Endpoint::Status,
        Endpoint::Login,
        Endpoint::Logout,
        Endpoint::Push,
        Endpoint::Pull,
        Endpoint::Health,
        Endpoint::Metrics,
    ];

    pub const fn path(self) -> &'static str {
        match self {
            Endpoint::Status => "/v1/status",
            Endpoint::Login => "/v1/login",
            Endpoint::Logout => "/v1/logout",
            Endpoint::Push => "/v1/push",
            Endpoint::Pull => "/v1/pull",
            Endpoint::Health => "/api/health",
            Endpoint::Metrics => "/metrics",
        }
    }

    pub const fn method(self) -> Method {
        match self {
            Endpoint::Login | Endpoint::Logout | Endpoint::Push => Method::Post,
            Endpoint::Status | Endpoint::Pull | Endpoint::Health | Endpoint::Metrics => Method::Get,
        }
    }

    /// Needs `Authorization: Bearer <device token>`.
    pub const fn needs_device_token(self) -> bool {
        matches!(self, Endpoint::Logout | Endpoint::Push | Endpoint::Pull)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_unique() {
        let mut paths: Vec<_> = Endpoint::ALL.iter().map(|e| e.path()).collect();
        paths.sort();
        paths.dedup();
        assert_eq!(paths.len(), Endpoint::ALL.len());
    }
}
