using System.Text.Json.Serialization;

namespace FaceMesh.Evaluation;

/// <summary>How well a grouping matches the truth, as <c>facemesh eval cluster --json</c> writes it (fractions).</summary>
public record ClusteringScores
{
    [JsonPropertyName("pairwise_precision")] public required double PairwisePrecision { get; init; }
    [JsonPropertyName("pairwise_recall")] public required double PairwiseRecall { get; init; }
    [JsonPropertyName("pairwise_f")] public required double PairwiseF { get; init; }
    [JsonPropertyName("bcubed_precision")] public required double BCubedPrecision { get; init; }
    [JsonPropertyName("bcubed_recall")] public required double BCubedRecall { get; init; }
    [JsonPropertyName("bcubed_f")] public required double BCubedF { get; init; }

    /// <summary>Groups found, unassigned faces counted as one group each.</summary>
    [JsonPropertyName("clusters")] public required int Clusters { get; init; }

    [JsonPropertyName("identities")] public required int Identities { get; init; }

    /// <summary>Groups of one face (unassigned faces included).</summary>
    [JsonPropertyName("singletons")] public required int Singletons { get; init; }

    [JsonPropertyName("unassigned")] public required int Unassigned { get; init; }

    [JsonPropertyName("faces")] public required int Faces { get; init; }
}

/// <summary>
/// Clustering measures against the true identities (Otto, Wang and Jain, TPAMI 2018; Amigó et al., "A comparison
/// of extrinsic clustering evaluation metrics", 2009). Pairwise: of the pairs put together, the share that are the
/// same person (precision), and of the same-person pairs, the share put together (recall). BCubed: per face, the
/// share of its group that is its person (precision) and the share of its person in its group (recall), averaged
/// over faces. F is their harmonic mean. An unassigned face (label below 0) is a group of its own, which is what
/// a person looking at the result sees.
/// </summary>
public static class ClusteringMetrics
{
    public static ClusteringScores Score(IReadOnlyList<int> predicted, IReadOnlyList<int> truth)
    {
        if (predicted.Count != truth.Count)
            throw new ArgumentException($"{predicted.Count} predicted labels for {truth.Count} faces.");
        int n = predicted.Count;
        // Unassigned faces become groups of their own, numbered after the real ones.
        int next = predicted.Count == 0 ? 0 : Math.Max(0, predicted.Max() + 1);
        var groups = new int[n];
        for (int i = 0; i < n; i++)
            groups[i] = predicted[i] >= 0 ? predicted[i] : next++;

        var groupSize = Count(groups);
        var truthSize = Count(truth);
        var both = new Dictionary<(int, int), long>();
        for (int i = 0; i < n; i++)
            both[(groups[i], truth[i])] = both.GetValueOrDefault((groups[i], truth[i])) + 1;

        static long Pairs(long m) => m * (m - 1) / 2;
        long together = groupSize.Values.Sum(Pairs), same = truthSize.Values.Sum(Pairs), right = both.Values.Sum(Pairs);
        double pp = together == 0 ? 1 : right / (double)together, pr = same == 0 ? 1 : right / (double)same;

        double bp = 0, br = 0;
        for (int i = 0; i < n; i++)
        {
            long overlap = both[(groups[i], truth[i])];
            bp += overlap / (double)groupSize[groups[i]];
            br += overlap / (double)truthSize[truth[i]];
        }
        bp = n == 0 ? 1 : bp / n;
        br = n == 0 ? 1 : br / n;
        return new ClusteringScores
        {
            PairwisePrecision = pp,
            PairwiseRecall = pr,
            PairwiseF = F(pp, pr),
            BCubedPrecision = bp,
            BCubedRecall = br,
            BCubedF = F(bp, br),
            Clusters = groupSize.Count,
            Identities = truthSize.Count,
            Singletons = groupSize.Values.Count(s => s == 1),
            Unassigned = predicted.Count(p => p < 0),
            Faces = n,
        };
    }

    private static double F(double p, double r) => p + r == 0 ? 0 : 2 * p * r / (p + r);

    private static Dictionary<int, long> Count(IReadOnlyList<int> labels)
    {
        var counts = new Dictionary<int, long>();
        foreach (int l in labels)
            counts[l] = counts.GetValueOrDefault(l) + 1;
        return counts;
    }
}
