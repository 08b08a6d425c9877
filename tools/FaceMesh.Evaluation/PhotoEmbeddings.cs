using System.Collections.Concurrent;
using FaceMesh.Imaging;
using FaceMesh.Pipeline;

namespace FaceMesh.Evaluation;

/// <summary>The embedding of each photo's primary face, or why there is none.</summary>
public sealed class PhotoEmbeddings
{
    private readonly ConcurrentDictionary<string, float[]> _vectors = new();
    private readonly ConcurrentDictionary<string, string> _failures = new();

    public IReadOnlyDictionary<string, float[]> Vectors => _vectors;

    /// <summary>Photos without an embedding, with the reason (no face found, unreadable file).</summary>
    public IReadOnlyDictionary<string, string> Failures => _failures;

    public float[]? this[string path] => _vectors.GetValueOrDefault(path);

    /// <summary>Embeds the primary face of every photo, <paramref name="workers"/> photos at a time.</summary>
    public static PhotoEmbeddings Compute(FacePipeline pipeline, IReadOnlyCollection<string> paths, Action? progress = null, int workers = 2)
    {
        var result = new PhotoEmbeddings();
        Parallel.ForEach(paths, new ParallelOptions { MaxDegreeOfParallelism = workers }, path =>
        {
            try
            {
                var image = ImageDecoder.Decode(File.ReadAllBytes(path));
                var face = pipeline.FindPrimary(image);
                if (face is null)
                    result._failures[path] = "no face found";
                else
                    result._vectors[path] = pipeline.Embed(face);
            }
            catch (Exception e) when (e is InvalidImageException or IOException)
            {
                result._failures[path] = e.Message;
            }
            progress?.Invoke();
        });
        return result;
    }
}
