//! Kubernetes resource quantities ("250m", "1.5", "512Mi", "1e3") as the numbers the console
//! shows: CPU in millicores, memory in MiB. Malformed or negative values count as 0 rather
//! than fail: one odd object must not hide a cluster.

/// Parse a quantity into its value in base units (cores, bytes). `None` when malformed.
pub fn parse(q: &str) -> Option<f64> {
    let q = q.trim();
    let split = q
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '+' || c == '-'))
        .unwrap_or(q.len());
    let (number, suffix) = q.split_at(split);
    let number: f64 = number.parse().ok()?;
    let multiplier = match suffix {
        "" => 1.0,
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => 1024f64,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
        exp if exp.starts_with(['e', 'E']) => 10f64.powi(exp[1..].parse::<i32>().ok()?),
        _ => return None,
    };
    let v = number * multiplier;
    v.is_finite().then_some(v)
}

/// CPU in millicores (rounded up, as the scheduler does). 0 when malformed or negative.
pub fn cpu_millis(q: &str) -> u64 {
    parse(q).map_or(0, |cores| (cores * 1000.0).ceil().max(0.0) as u64)
}

/// Memory in MiB (rounded to nearest). 0 when malformed or negative.
pub fn mem_mib(q: &str) -> u64 {
    parse(q).map_or(0, |bytes| (bytes / 1_048_576.0).round().max(0.0) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_forms() {
        assert_eq!(cpu_millis("250m"), 250);
        assert_eq!(cpu_millis("1"), 1000);
        assert_eq!(cpu_millis("1.5"), 1500);
        assert_eq!(cpu_millis("0.1"), 100);
        assert_eq!(cpu_millis("3950m"), 3950);
        assert_eq!(cpu_millis("100000n"), 1);
        assert_eq!(cpu_millis("2e3"), 2_000_000);
    }

    #[test]
    fn memory_forms() {
        assert_eq!(mem_mib("512Mi"), 512);
        assert_eq!(mem_mib("1Gi"), 1024);
        assert_eq!(mem_mib("16270876Ki"), 15890);
        assert_eq!(mem_mib("1G"), 954);
        assert_eq!(mem_mib("134217728"), 128);
    }

    #[test]
    fn odd_values_do_not_fail() {
        assert_eq!(cpu_millis(""), 0);
        assert_eq!(cpu_millis("lots"), 0);
        assert_eq!(cpu_millis("-1"), 0);
        assert_eq!(mem_mib("12Xi"), 0);
        assert_eq!(mem_mib("1e400"), 0);
        // Huge but finite values saturate instead of wrapping.
        assert_eq!(mem_mib("9e300"), u64::MAX);
    }
}
