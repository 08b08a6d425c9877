using FaceMesh.Imaging;
using TorchSharp;
using static TorchSharp.torch;

namespace FaceMesh.Training.Data;

/// <summary>
/// The batches of one epoch, drawn from a <see cref="Random"/> seeded by (run seed, epoch): the same epoch
/// gives the same batches and augmentations, which is what makes a resumed run equal an uninterrupted one.
/// Pixels become (x − 127.5) / 128, channels first (the model pack's preprocessing).
/// </summary>
public static class Batches
{
    public const float Mean = 127.5f, Std = 128f;

    public static Random EpochRandom(int seed, int epoch) => new(SeedOf(seed, epoch, 0x5eed));

    /// <summary>
    /// One seed from (run seed, epoch, stream), the same in every process: a fixed mix (SplitMix64's finaliser).
    /// <see cref="HashCode.Combine{T1,T2}"/> is not usable here, it is randomised per process, so two runs of one
    /// experiment drew different batches.
    /// </summary>
    public static int SeedOf(int seed, int epoch, int stream)
    {
        unchecked
        {
            ulong x = (uint)seed * 0x9E3779B97F4A7C15UL ^ (uint)epoch * 0xC2B2AE3D27D4EB4FUL ^ (uint)stream * 0x165667B19E3779F9UL;
            x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
            x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
            return (int)(x ^ (x >> 31));
        }
    }

    /// <summary>All training crops shuffled, in batches of <paramref name="size"/> (the last partial batch dropped).</summary>
    public static IEnumerable<FaceCrop[]> Shuffled(IReadOnlyList<FaceCrop> crops, int size, Random random)
    {
        var order = Enumerable.Range(0, crops.Count).ToArray();
        random.Shuffle(order);
        for (int start = 0; start + size <= order.Length; start += size)
            yield return order[start..(start + size)].Select(i => crops[i]).ToArray();
    }

    /// <summary>
    /// Identity-balanced P×K batches for metric losses: P identities with at least two crops, K crops each
    /// (drawn with replacement when an identity has fewer); as many batches as one pass over the crops.
    /// </summary>
    public static IEnumerable<FaceCrop[]> PxK(IReadOnlyList<FaceCrop> crops, int p, int k, Random random)
    {
        var byIdentity = crops.GroupBy(c => c.Label).Where(g => g.Count() >= 2).Select(g => g.ToArray()).ToArray();
        if (byIdentity.Length < p)
            throw new ArgumentException($"P×K sampling needs {p} identities with two crops or more; the data has {byIdentity.Length}.");
        int batches = Math.Max(1, crops.Count / (p * k));
        for (int b = 0; b < batches; b++)
        {
            var identities = Enumerable.Range(0, byIdentity.Length).ToArray();
            random.Shuffle(identities);
            var batch = new List<FaceCrop>(p * k);
            foreach (var id in identities.Take(p))
            {
                var own = byIdentity[id].ToArray();
                random.Shuffle(own);
                for (int i = 0; i < k; i++)
                    batch.Add(own[i % own.Length]);
            }
            yield return batch.ToArray();
        }
    }

    /// <summary>A batch of crops as a (n, 3, 112, 112) float tensor.</summary>
    public static Tensor ToTensor(IReadOnlyList<RgbImage> images)
    {
        int n = images.Count, w = images[0].Width, h = images[0].Height, plane = w * h;
        var data = new float[n * 3 * plane];
        for (int i = 0; i < n; i++)
        {
            var px = images[i].Pixels;
            int offset = i * 3 * plane;
            for (int j = 0; j < plane; j++)
                for (int c = 0; c < 3; c++)
                    data[offset + c * plane + j] = (px[j * 3 + c] - Mean) / Std;
        }
        return tensor(data, [n, 3, h, w]);
    }
}
