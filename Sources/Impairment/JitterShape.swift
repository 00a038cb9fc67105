#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The quantile functions behind `JitterDistribution`: each maps a uniform U in (0, 1) to the
/// jitter sample in units of `jitter`, so one uniform (correlated or not) gives any shape.
enum JitterShape {
    /// netem's tables stop at 32767 / 8192 ≈ 4 standard units; the pareto tail is capped there.
    static let paretoCap = 4.0

    /// The quantile function of a Pareto of shape α = 3 (x_m = 1, mean 1.5, variance 3/4)
    /// shifted to mean 0 and scaled by 4/3, as iproute2's pareto table: for u in [0, 1),
    /// (4/3)·((1 − u)^(−1/3) − 1.5), from −2/3 up, capped at `paretoCap`.
    static func pareto(_ u: Double) -> Double {
        min(paretoCap, (4.0 / 3.0) * (1.0 / cbrt(1 - u) - 1.5))
    }

    /// iproute2's paretonormal table: a quarter of the normal quantile plus three quarters of
    /// the pareto one, at the same u in (0, 1) (both increasing, so the sum is a quantile
    /// function too).
    static func paretoNormal(_ u: Double) -> Double {
        0.25 * normalQuantile(u) + 0.75 * pareto(u)
    }

    /// Φ(z), the standard normal distribution function.
    static func normalCDF(_ z: Double) -> Double {
        0.5 * erfc(-z / 2.0.squareRoot())
    }

    /// Φ⁻¹(u) for u in (0, 1): Acklam's rational approximation (relative error below 1.2e-9),
    /// refined by one Halley step on erfc, which brings it to double precision.
    static func normalQuantile(_ u: Double) -> Double {
        let a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00]
        let b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                 6.680131188771972e+01, -1.328068155288572e+01]
        let c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                 -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00]
        let d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00]
        let low = 0.02425
        var x: Double
        if u < low {
            let q = (-2 * log(u)).squareRoot()
            x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
                / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        } else if u <= 1 - low {
            let q = u - 0.5
            let r = q * q
            x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q
                / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
        } else {
            let q = (-2 * log(1 - u)).squareRoot()
            x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
                / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        }
        let error = normalCDF(x) - u
        let step = error * (2 * Double.pi).squareRoot() * exp(x * x / 2)
        x -= step / (1 + x * step / 2)
        return x
    }
}
