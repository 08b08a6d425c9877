using System.Text.Json.Serialization;

namespace FaceMesh.Evaluation;

/// <summary>
/// Presentation-attack detection scored as ISO/IEC 30107-3 asks, at a stated threshold: APCER, the share of attack
/// presentations accepted as live (score at or above the threshold); BPCER, the share of live presentations refused;
/// ACER, their mean. A photo where no face is found counts against the system each time: a live one as refused, an
/// attack as accepted. The EER is where APCER and BPCER meet over every threshold.
/// </summary>
public sealed record LivenessScores
{
    [JsonPropertyName("apcer")] public required double Apcer { get; init; }
    [JsonPropertyName("bpcer")] public required double Bpcer { get; init; }
    [JsonPropertyName("acer")] public required double Acer { get; init; }
    [JsonPropertyName("eer")] public required double Eer { get; init; }
    [JsonPropertyName("threshold")] public required double Threshold { get; init; }
    [JsonPropertyName("apcer_at_bpcer_1pct")] public required double ApcerAtBpcer1 { get; init; }
    [JsonPropertyName("real")] public required int Real { get; init; }
    [JsonPropertyName("spoof")] public required int Spoof { get; init; }
    [JsonPropertyName("no_face")] public required int NoFace { get; init; }
}

public static class LivenessMetrics
{
    /// <param name="live">The live presentations' scores; null where no face was found.</param>
    /// <param name="attack">The attack presentations' scores; null where no face was found.</param>
    public static LivenessScores Score(IReadOnlyList<double?> live, IReadOnlyList<double?> attack, double threshold)
    {
        if (live.Count == 0 || attack.Count == 0)
            throw new ArgumentException($"Liveness needs live and attack presentations; got {live.Count} live and {attack.Count} attack.");
        // No face: scored so that it is wrong at every threshold (a live face below any, an attack above any).
        var real = live.Select(s => s ?? double.NegativeInfinity).ToArray();
        var spoof = attack.Select(s => s ?? double.PositiveInfinity).ToArray();
        double apcer = Apcer(spoof, threshold), bpcer = Bpcer(real, threshold);
        return new LivenessScores
        {
            Apcer = apcer, Bpcer = bpcer, Acer = (apcer + bpcer) / 2, Eer = EqualErrorRate(real, spoof), Threshold = threshold,
            ApcerAtBpcer1 = ApcerAtBpcer(real, spoof, 0.01), Real = live.Count, Spoof = attack.Count,
            NoFace = live.Count(s => s is null) + attack.Count(s => s is null),
        };
    }

    public static double Apcer(double[] spoof, double threshold) => spoof.Count(s => s >= threshold) / (double)spoof.Length;

    public static double Bpcer(double[] real, double threshold) => real.Count(s => s < threshold) / (double)real.Length;

    /// <summary>The thresholds worth trying: every score, and one above them all.</summary>
    private static double[] Candidates(double[] real, double[] spoof) =>
        real.Concat(spoof).Where(double.IsFinite).Append(double.MaxValue).Distinct().Order().ToArray();

    /// <summary>The point where APCER and BPCER are closest (their mean there).</summary>
    public static double EqualErrorRate(double[] real, double[] spoof)
    {
        double best = double.MaxValue, eer = 1;
        foreach (var t in Candidates(real, spoof))
        {
            double a = Apcer(spoof, t), b = Bpcer(real, t);
            if (Math.Abs(a - b) < best)
                (best, eer) = (Math.Abs(a - b), (a + b) / 2);
        }
        return eer;
    }

    /// <summary>The lowest APCER among thresholds that refuse at most <paramref name="bpcer"/> of the live faces.</summary>
    public static double ApcerAtBpcer(double[] real, double[] spoof, double bpcer) =>
        Candidates(real, spoof).Where(t => Bpcer(real, t) <= bpcer + 1e-12).Select(t => Apcer(spoof, t)).DefaultIfEmpty(1).Min();

    /// <summary>
    /// A threshold with the lowest ACER on these scores (to calibrate a pack on its own split). Every threshold between a
    /// score and the next one decides these scores alike, so the middle of that gap is taken, not its edge (where the
    /// next live face a little below the lowest live score would be refused); of several such gaps, the middle one.
    /// </summary>
    public static double ThresholdOfLeastAcer(double[] real, double[] spoof)
    {
        var candidates = Candidates(real, spoof);
        var acer = candidates.Select(t => (Apcer(spoof, t) + Bpcer(real, t)) / 2).ToArray();
        double least = acer.Min();
        var tied = Enumerable.Range(0, candidates.Length).Where(i => acer[i] <= least + 1e-12).ToArray();
        int chosen = tied[tied.Length / 2];
        return chosen == 0 ? candidates[0] : candidates[chosen] == double.MaxValue
            ? candidates[chosen - 1] + 1e-6
            : (candidates[chosen - 1] + candidates[chosen]) / 2;
    }
}
