using System.Globalization;
using FaceMesh.ModelPacks;

namespace FaceMesh.Pipeline.Verification;

/// <summary>
/// The calibrated operating points of one embedding model: for each target false-accept rate the
/// cosine threshold that gives it. Decisions are made at these, never at an ad-hoc number.
/// </summary>
public sealed class VerificationThresholds
{
    public VerificationThresholds(IEnumerable<FarThreshold> points) =>
        Points = points.OrderByDescending(p => p.Far).ToArray();

    /// <summary>From highest to lowest false-accept rate (lowest to highest threshold).</summary>
    public IReadOnlyList<FarThreshold> Points { get; }

    public static VerificationThresholds From(ThresholdTable table) => new(
        table.Far.Select(kv => new FarThreshold(double.Parse(kv.Key, CultureInfo.InvariantCulture), kv.Value)));

    public bool IsCalibrated => Points.Count > 0;

    /// <summary>The threshold for <paramref name="far"/>; fails with the calibrated levels when there is none.</summary>
    public float At(double far)
    {
        foreach (var p in Points)
            if (Math.Abs(p.Far - far) <= far * 1e-6)
                return p.Threshold;
        throw new KeyNotFoundException(Points.Count == 0
            ? "This model has no calibrated thresholds. Run 'tools/facemesh calibrate' on a labelled set first."
            : $"No threshold is calibrated for FAR {far:G}; calibrated levels: {string.Join(", ", Points.Select(p => p.Far.ToString("G", CultureInfo.InvariantCulture)))}.");
    }

    public IReadOnlyList<Decision> Decide(float score) =>
        Points.Select(p => new Decision(p.Far, p.Threshold, score >= p.Threshold)).ToArray();

    public static string Key(double far) => far.ToString("0.######", CultureInfo.InvariantCulture);
}
