using System.Numerics.Tensors;
using FaceMesh.ModelPacks;
using FaceMesh.Pipeline.Verification;

namespace FaceMesh.Evaluation;

/// <summary>
/// Finds the cosine threshold for each target false-accept rate from every impostor pair of a
/// labelled set (each photo against every photo of every other identity), not only the impostor
/// lines of a pairs file: 3,000 impostor pairs cannot resolve a FAR of 1e-4, millions can.
/// </summary>
public static class ThresholdCalibration
{
    public static readonly double[] Fars = [1e-2, 1e-3, 1e-4, 1e-5];

    public sealed record Result(ThresholdTable Table, RocCurve Roc);

    /// <param name="identities">Unit embeddings grouped by identity.</param>
    public static Result Calibrate(IReadOnlyList<IReadOnlyList<float[]>> identities, string calibratedOn)
    {
        var all = identities.SelectMany((vectors, id) => vectors.Select(v => (Id: id, Vector: v))).ToArray();
        var genuine = new List<double>();
        var impostor = new List<double>(all.Length * (all.Length - 1) / 2);
        for (int i = 0; i < all.Length; i++)
            for (int j = i + 1; j < all.Length; j++)
            {
                double score = TensorPrimitives.Dot(all[i].Vector, all[j].Vector);
                (all[i].Id == all[j].Id ? genuine : impostor).Add(score);
            }
        var roc = new RocCurve(genuine, impostor);
        var table = new ThresholdTable
        {
            Far = new SortedDictionary<string, float>(
                Fars.Where(f => f * impostor.Count >= 1)
                    .ToDictionary(VerificationThresholds.Key, f => (float)roc.ThresholdAt(f)), StringComparer.Ordinal),
            CalibratedOn = calibratedOn,
            GenuinePairs = genuine.Count,
            ImpostorPairs = impostor.Count,
            CalibratedAt = DateTimeOffset.UtcNow,
        };
        return new Result(table, roc);
    }
}
