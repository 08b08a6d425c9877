using System.Collections.Concurrent;
using FaceMesh.Imaging;
using FaceMesh.Pipeline;
using FaceMesh.Pipeline.Embedding;

namespace FaceMesh.Evaluation;

/// <summary>
/// The embedding of each photo's primary face, or why there is none; for a fused pack also each model's own
/// unit embedding (<see cref="PerModel"/>), so fusion weights can be chosen without embedding again.
/// </summary>
public sealed class PhotoEmbeddings
{
    private readonly ConcurrentDictionary<string, float[]> _vectors = new();
    private readonly ConcurrentDictionary<string, float[][]> _perModel = new();
    private readonly ConcurrentDictionary<string, string> _failures = new();

    public IReadOnlyDictionary<string, float[]> Vectors => _vectors;

    /// <summary>Each model's unit embedding of each photo, in the pack's order of embedders.</summary>
    public IReadOnlyDictionary<string, float[][]> PerModel => _perModel;

    /// <summary>Photos without an embedding, with the reason (no face found, unreadable file).</summary>
    public IReadOnlyDictionary<string, string> Failures => _failures;

    public float[]? this[string path] => _vectors.GetValueOrDefault(path);

    /// <summary>Embeds the primary face of every photo, <paramref name="workers"/> photos at a time.</summary>
    public static PhotoEmbeddings Compute(FacePipeline pipeline, IReadOnlyCollection<string> paths, Action? progress = null, int workers = 2)
    {
        var result = new PhotoEmbeddings();
        var scales = pipeline.Embedder.Weights.Select(MathF.Sqrt).ToArray();
        Parallel.ForEach(paths, new ParallelOptions { MaxDegreeOfParallelism = workers }, path =>
        {
            try
            {
                var image = ImageDecoder.Decode(File.ReadAllBytes(path));
                var face = pipeline.FindPrimary(image);
                if (face is null)
                {
                    result._failures[path] = "no face found";
                }
                else
                {
                    var each = pipeline.Embedder.EmbedEach([face.AlignedCrops], pipeline.Flip).Select(m => m[0]).ToArray();
                    result._perModel[path] = each;
                    result._vectors[path] = each.Length == 1 ? each[0] : FaceEmbedder.Fuse(each, scales);
                }
            }
            catch (Exception e) when (e is InvalidImageException or IOException)
            {
                result._failures[path] = e.Message;
            }
            progress?.Invoke();
        });
        return result;
    }

    /// <summary>The same photos' embeddings fused with other weights (one per model, summing to 1).</summary>
    public PhotoEmbeddings Reweighted(IReadOnlyList<float> weights)
    {
        var scales = weights.Select(MathF.Sqrt).ToArray();
        var result = new PhotoEmbeddings();
        foreach (var (path, each) in _perModel)
        {
            result._perModel[path] = each;
            result._vectors[path] = FaceEmbedder.Fuse(each, scales);
        }
        foreach (var (path, why) in _failures)
            result._failures[path] = why;
        return result;
    }
}
