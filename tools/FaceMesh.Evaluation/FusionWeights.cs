using System.Numerics.Tensors;

namespace FaceMesh.Evaluation;

/// <summary>
/// Chooses the weights of a fused pack's models. The fused cosine of two faces is Σ wᵢ·cosᵢ, so every pair's
/// per-model cosines are computed once and each candidate weighting (a grid on the simplex) is scored from
/// them: the weights with the highest true-accept rate at the target false-accept rate over every pair of a
/// labelled set (all cross-identity pairs as impostors) win. On the set the thresholds are calibrated on too,
/// this is in-sample: confirm the choice on another set.
/// </summary>
public static class FusionWeights
{
    public sealed record Candidate(float[] Weights, double Tar);

    /// <param name="identities">Per identity, per photo, each model's unit embedding.</param>
    public static IReadOnlyList<Candidate> Search(IReadOnlyList<IReadOnlyList<float[][]>> identities, double far = 1e-3, float step = 0.05f, Action<string>? progress = null)
    {
        var photos = identities.SelectMany((group, id) => group.Select(v => (Id: id, Vectors: v))).ToArray();
        int models = photos[0].Vectors.Length;
        long pairs = (long)photos.Length * (photos.Length - 1) / 2;
        var cosines = Enumerable.Range(0, models).Select(_ => new float[pairs]).ToArray();
        var genuine = new bool[pairs];
        long k = 0;
        for (int i = 0; i < photos.Length; i++)
            for (int j = i + 1; j < photos.Length; j++, k++)
            {
                genuine[k] = photos[i].Id == photos[j].Id;
                for (int m = 0; m < models; m++)
                    cosines[m][k] = TensorPrimitives.Dot(photos[i].Vectors[m], photos[j].Vectors[m]);
            }
        int genuineCount = genuine.Count(g => g);
        int impostorCount = (int)(pairs - genuineCount);
        int allowed = (int)Math.Floor(far * impostorCount);
        var candidates = Simplex(models, step).ToArray();
        var scores = new float[pairs];
        var impostors = new float[impostorCount];
        var results = new List<Candidate>();
        foreach (var weights in candidates)
        {
            Array.Clear(scores);
            for (int m = 0; m < models; m++)
                if (weights[m] > 0)
                    TensorPrimitives.MultiplyAdd(cosines[m], weights[m], scores, scores);
            int n = 0;
            for (long p = 0; p < pairs; p++)
                if (!genuine[p])
                    impostors[n++] = scores[p];
            float threshold = KthLargest(impostors, allowed); // FAR ≤ far for scores above it
            int accepted = 0;
            for (long p = 0; p < pairs; p++)
                if (genuine[p] && scores[p] > threshold)
                    accepted++;
            results.Add(new Candidate(weights, accepted / (double)genuineCount));
            progress?.Invoke($"weights {string.Join(" ", weights.Select(w => w.ToString("F2")))}: TAR {accepted / (double)genuineCount:P2}");
        }
        return results.OrderByDescending(c => c.Tar).ToArray();
    }

    /// <summary>
    /// Every weighting with weights in multiples of <paramref name="step"/>, each at least one step (a model the
    /// pack runs has a say; one that does not help belongs out of the pack), summing to 1.
    /// </summary>
    public static IEnumerable<float[]> Simplex(int models, float step)
    {
        int units = (int)Math.Round(1 / step);
        if (units < models)
            throw new ArgumentException($"A grid step of {step} cannot give each of {models} models a weight.");
        IEnumerable<int[]> Split(int remaining, int parts) => parts == 1
            ? [[remaining]]
            : Enumerable.Range(1, remaining - parts + 1).SelectMany(first => Split(remaining - first, parts - 1).Select(rest => (int[])[first, .. rest]));
        return Split(units, models).Select(u => u.Select(x => x / (float)units).ToArray());
    }

    /// <summary>The (k+1)-th largest value (k = 0: the largest), by quickselect; reorders <paramref name="values"/>.</summary>
    private static float KthLargest(float[] values, int k)
    {
        int lo = 0, hi = values.Length - 1, target = values.Length - 1 - k;
        var random = new Random(1);
        while (lo < hi)
        {
            float pivot = values[random.Next(lo, hi + 1)];
            int i = lo, j = hi;
            while (i <= j)
            {
                while (values[i] < pivot) i++;
                while (values[j] > pivot) j--;
                if (i <= j)
                    (values[i], values[j], i, j) = (values[j], values[i], i + 1, j - 1);
            }
            if (target <= j) hi = j;
            else if (target >= i) lo = i;
            else return values[target];
        }
        return values[target];
    }
}
