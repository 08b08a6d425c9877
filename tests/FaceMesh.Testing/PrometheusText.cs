using System.Globalization;
using System.Text.RegularExpressions;

namespace FaceMesh.Testing;

/// <summary>Reads samples out of a Prometheus text exposition (a service's <c>/metrics</c>).</summary>
public static class PrometheusText
{
    /// <summary>The value of the first sample of <paramref name="metric"/> whose labels contain <paramref name="labels"/> (e.g.
    /// <c>le="1"</c>).</summary>
    public static double Sample(string exposition, string metric, string labels = "")
    {
        var pattern = labels.Length == 0
            ? $@"^{Regex.Escape(metric)}(?:\{{[^}}]*\}})? (\S+)"
            : $@"^{Regex.Escape(metric)}\{{[^}}]*{Regex.Escape(labels)}[^}}]*\}} (\S+)";
        var match = Regex.Match(exposition, pattern, RegexOptions.Multiline);
        if (!match.Success)
            throw new Xunit.Sdk.XunitException($"No sample of {metric} {labels} on /metrics.");
        return double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    /// <summary>The sum of every sample of <paramref name="metric"/> whose labels contain <paramref name="labels"/> (0 when there is
    /// none).</summary>
    public static double Sum(string exposition, string metric, string labels = "") =>
        Regex.Matches(exposition, $@"^{Regex.Escape(metric)}\{{[^}}]*{Regex.Escape(labels)}[^}}]*\}} (\S+)", RegexOptions.Multiline)
            .Sum(m => double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
}
