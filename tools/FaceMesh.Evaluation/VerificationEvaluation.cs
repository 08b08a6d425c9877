using System.Globalization;
using FaceMesh.Pipeline.Embedding;

namespace FaceMesh.Evaluation;

/// <summary>Scores labelled pairs from photo embeddings and runs the LFW View-2 protocol and the pooled ROC on them.</summary>
public static class VerificationEvaluation
{
    public static readonly double[] ReportedFars = [1e-2, 1e-3, 1e-4];

    public static (VerificationReport Report, RocCurve Roc) Evaluate(IReadOnlyList<LabelledPair> pairs, PhotoEmbeddings embeddings, string? modelId = null)
    {
        var scores = pairs.Select(p => embeddings[p.First] is { } a && embeddings[p.Second] is { } b
            ? (double)CosineSimilarity.Of(a, b) : double.NaN).ToArray();
        var same = pairs.Select(p => p.Same).ToArray();
        var (accuracies, thresholds) = VerificationProtocol.TenFold(scores, same, pairs.Select(p => p.Fold).ToArray());
        var (mean, std) = VerificationProtocol.MeanStd(accuracies);
        var roc = new RocCurve(scores.Where((_, i) => same[i]), scores.Where((_, i) => !same[i]));
        var used = pairs.SelectMany(p => new[] { p.First, p.Second }).ToHashSet();
        var failed = embeddings.Failures.Keys.Where(used.Contains).Order(StringComparer.Ordinal).ToArray();
        var report = new VerificationReport
        {
            AccuracyMean = mean,
            AccuracyStd = std,
            FoldAccuracies = accuracies,
            FoldThresholds = thresholds,
            TarAtFar = new SortedDictionary<string, double>(
                ReportedFars.ToDictionary(f => f.ToString("0.####", CultureInfo.InvariantCulture), roc.TarAt), StringComparer.Ordinal),
            Eer = roc.EqualErrorRate(),
            Pairs = pairs.Count,
            FailedImages = failed.Length,
            FailedImagePaths = failed,
            ModelId = modelId,
        };
        return (report, roc);
    }
}
