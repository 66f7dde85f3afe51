//! The design's service names and their default ports — the one fact every
//! process shares about the others until service discovery (Consul) is built.

/// A swarm service and its default ports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Service {
    /// Service name (`queen`, `memory-coordinator`, an agent kind, …).
    pub name: &'static str,
    /// Main port (gRPC or HTTP API).
    pub port: u16,
    /// `/health`, `/ready`, `/metrics`.
    pub metrics_port: u16,
}

/// Every service of the design with its default ports.
pub const SERVICES: [Service; 7] = [
    Service {
        name: "queen",
        port: 50051,
        metrics_port: 8001,
    },
    Service {
        name: "memory-coordinator",
        port: 8002,
        metrics_port: 8002,
    },
    Service {
        name: "scraping-specialist",
        port: 8010,
        metrics_port: 8010,
    },
    Service {
        name: "keyword-precision",
        port: 8011,
        metrics_port: 8011,
    },
    Service {
        name: "api-reliability",
        port: 8012,
        metrics_port: 8012,
    },
    Service {
        name: "performance-optimizer",
        port: 8013,
        metrics_port: 8013,
    },
    Service {
        name: "data-quality",
        port: 8014,
        metrics_port: 8014,
    },
];

/// The service called `name`.
pub fn service(name: &str) -> Option<Service> {
    SERVICES.iter().copied().find(|s| s.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_unique_per_service() {
        let mut ports: Vec<u16> = SERVICES.iter().map(|s| s.port).collect();
        ports.sort_unstable();
        ports.dedup();
        assert_eq!(ports.len(), SERVICES.len());
        assert_eq!(service("queen").map(|s| s.metrics_port), Some(8001));
    }
}
