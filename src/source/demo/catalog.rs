//! The static shape of the demo fleet: environments, clusters and the service catalogue.

/// (team, namespace, service, base replicas in prod, cpu millicores, memory MiB)
pub const SERVICES: &[(&str, &str, &str, u32, u64, u64)] = &[
    ("payments", "payments", "checkout-api", 6, 500, 512),
    ("payments", "payments", "payment-gateway", 4, 400, 512),
    ("payments", "payments", "ledger", 3, 300, 1024),
    ("payments", "payments", "fraud-scorer", 4, 800, 2048),
    ("payments", "payments", "refunds-worker", 2, 200, 256),
    ("catalog", "catalog", "catalog-api", 6, 400, 512),
    ("catalog", "catalog", "search-indexer", 3, 1000, 2048),
    ("catalog", "catalog", "pricing", 4, 300, 512),
    ("catalog", "catalog", "inventory", 4, 300, 512),
    ("catalog", "catalog", "recommendations", 3, 700, 1536),
    ("identity", "identity", "auth", 6, 300, 256),
    ("identity", "identity", "user-profile", 4, 250, 384),
    ("identity", "identity", "session-store", 3, 200, 1024),
    ("identity", "identity", "sso-bridge", 2, 150, 256),
    ("platform", "platform", "ingress-gateway", 6, 500, 512),
    ("platform", "platform", "config-service", 2, 100, 256),
    ("platform", "platform", "feature-flags", 3, 100, 256),
    ("platform", "platform", "notifications", 3, 200, 384),
    ("platform", "platform", "email-sender", 2, 150, 256),
    ("platform", "observability", "metrics-gateway", 3, 600, 1024),
    ("shipping", "shipping", "fulfilment", 4, 300, 512),
    ("shipping", "shipping", "shipping-quotes", 3, 250, 384),
    ("shipping", "shipping", "tracking", 3, 200, 384),
    ("shipping", "shipping", "warehouse-sync", 2, 400, 768),
    ("data", "data", "events-ingest", 5, 700, 1024),
    ("data", "data", "stream-processor", 4, 900, 2048),
    ("data", "data", "report-builder", 2, 500, 1536),
    ("data", "data", "export-api", 2, 200, 512),
    ("web", "frontend", "web-bff", 6, 400, 512),
    ("web", "frontend", "mobile-bff", 4, 400, 512),
    ("web", "frontend", "storefront", 6, 300, 384),
    ("web", "frontend", "admin-console", 2, 150, 256),
];

/// (env, production, AWS account)
pub const ENVS: &[(&str, bool, &str)] = &[
    ("dev", false, "111111111111"),
    ("staging", false, "222222222222"),
    ("prod", true, "333333333333"),
];

pub const REGIONS: &[&str] = &["us-east-1", "eu-west-1", "ap-southeast-2"];

/// (env, region, cluster name, kubernetes version)
pub const CLUSTERS: &[(&str, &str, &str, &str)] = &[
    ("dev", "us-east-1", "dev-use1", "1.33"),
    ("staging", "us-east-1", "stg-use1", "1.33"),
    ("staging", "eu-west-1", "stg-euw1", "1.33"),
    ("prod", "us-east-1", "prod-use1", "1.32"),
    ("prod", "eu-west-1", "prod-euw1", "1.32"),
    ("prod", "ap-southeast-2", "prod-apse2", "1.32"),
];

/// Services that do not run in the APAC region (regional products).
pub const NOT_IN_APSE2: &[&str] = &["admin-console", "warehouse-sync", "report-builder"];

/// (nodegroup, instance type, vCPU millicores, memory MiB, USD per hour)
pub const NODEGROUPS: &[(&str, &str, u64, u64, f64)] = &[
    ("general", "m6i.2xlarge", 8000, 32768, 0.384),
    ("compute", "c6i.4xlarge", 16000, 32768, 0.68),
];
