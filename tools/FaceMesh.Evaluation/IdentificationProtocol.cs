using System.Numerics.Tensors;
using System.Text.Json.Serialization;

namespace FaceMesh.Evaluation;

/// <summary>The result of the 1:N protocol, as <c>facemesh eval identify --json</c> writes it (fractions).</summary>
public sealed record IdentificationReport
{
    [JsonPropertyName("rank1")] public required double Rank1 { get; init; }
    [JsonPropertyName("rank5")] public required double Rank5 { get; init; }
    [JsonPropertyName("fnir_at_fpir")] public required SortedDictionary<string, double> FnirAtFpir { get; init; }
    [JsonPropertyName("threshold_at_fpir")] public required SortedDictionary<string, double> ThresholdAtFpir { get; init; }
    [JsonPropertyName("gallery_subjects")] public required int GallerySubjects { get; init; }
    [JsonPropertyName("mated_probes")] public required int MatedProbes { get; init; }
    [JsonPropertyName("non_mated_probes")] public required int NonMatedProbes { get; init; }
    [JsonPropertyName("failed_images")] public required int FailedImages { get; init; }
}

/// <summary>
/// Open-set 1:N identification, as NIST's FRVT 1:N reports it (Grother et al., NISTIR 8271): each
/// enrolled subject has one gallery photo (its first); every other photo of an enrolled subject is a
/// mated probe, every photo of a left-out subject a non-mated probe. Rank-k: a mated probe's subject is
/// among the k best gallery subjects. FPIR(t): non-mated probes whose best score reaches t. FNIR(t):
/// mated probes whose subject is not the best candidate at or above t. A photo without a face is a
/// miss as a mated probe and no alarm as a non-mated one.
/// </summary>
public static class IdentificationProtocol
{
    public static readonly double[] ReportedFpirs = [1e-1, 1e-2];

    /// <param name="subjects">Per subject (in a fixed order), its photos' embeddings in photo order; null where no face was found.</param>
    /// <param name="leftOut">How many subjects, from the end of the order, are kept out of the gallery.</param>
    public static IdentificationReport Run(IReadOnlyList<IReadOnlyList<float[]?>> subjects, int leftOut)
    {
        if (leftOut < 1 || leftOut >= subjects.Count)
            throw new ArgumentOutOfRangeException(nameof(leftOut), $"Leave out between 1 and {subjects.Count - 1} subjects.");
        int enrolled = subjects.Count - leftOut;
        var gallery = new List<(int Subject, float[] Vector)>();
        var mated = new List<(int Subject, float[]? Vector)>();
        for (int s = 0; s < enrolled; s++)
        {
            int first = subjects[s].ToList().FindIndex(v => v is not null);
            if (first < 0)
                continue;
            gallery.Add((s, subjects[s][first]!));
            mated.AddRange(subjects[s].Where((_, i) => i != first).Select(v => (s, v)));
        }
        var nonMated = subjects.Skip(enrolled).SelectMany(p => p).ToArray();
        int failed = subjects.Sum(p => p.Count(v => v is null));

        // Best and second-best candidate per probe; ranks of the mate.
        var matedRank = new int[mated.Count];
        var matedMateScore = new double[mated.Count];
        for (int i = 0; i < mated.Count; i++)
        {
            if (mated[i].Vector is not { } probe)
            {
                matedRank[i] = int.MaxValue;
                matedMateScore[i] = double.NegativeInfinity;
                continue;
            }
            var scores = gallery.Select(g => (g.Subject, Score: (double)TensorPrimitives.Dot(probe, g.Vector))).ToArray();
            double mateScore = scores.First(x => x.Subject == mated[i].Subject).Score;
            matedRank[i] = 1 + scores.Count(x => x.Score > mateScore);
            matedMateScore[i] = mateScore;
        }
        var nonMatedBest = nonMated.Select(v => v is null ? double.NegativeInfinity : gallery.Max(g => (double)TensorPrimitives.Dot(v, g.Vector))).Order().ToArray();

        var fnir = new SortedDictionary<string, double>(StringComparer.Ordinal);
        var thresholds = new SortedDictionary<string, double>(StringComparer.Ordinal);
        foreach (var fpir in ReportedFpirs)
        {
            // Lowest threshold with at most ⌊fpir·N⌋ non-mated probes at or above it.
            int allowed = (int)Math.Floor(fpir * nonMatedBest.Length);
            double cut = nonMatedBest[nonMatedBest.Length - 1 - Math.Min(allowed, nonMatedBest.Length - 1)];
            double threshold = allowed >= nonMatedBest.Length ? double.NegativeInfinity : Math.BitIncrement(cut);
            int misses = Enumerable.Range(0, mated.Count).Count(i => matedRank[i] != 1 || matedMateScore[i] < threshold);
            string key = fpir.ToString("0.####", System.Globalization.CultureInfo.InvariantCulture);
            fnir[key] = misses / (double)mated.Count;
            thresholds[key] = threshold;
        }
        return new IdentificationReport
        {
            Rank1 = matedRank.Count(r => r == 1) / (double)mated.Count,
            Rank5 = matedRank.Count(r => r <= 5) / (double)mated.Count,
            FnirAtFpir = fnir,
            ThresholdAtFpir = thresholds,
            GallerySubjects = gallery.Count,
            MatedProbes = mated.Count,
            NonMatedProbes = nonMated.Length,
            FailedImages = failed,
        };
    }
}
