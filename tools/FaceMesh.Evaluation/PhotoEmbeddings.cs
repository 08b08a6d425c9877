using System.Collections.Concurrent;
using FaceMesh.Imaging;
using FaceMesh.Pipeline;
using FaceMesh.Pipeline.Detection;
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
    private readonly ConcurrentDictionary<string, (FaceBox Box, float Quality)> _faces = new();

    public IReadOnlyDictionary<string, float[]> Vectors => _vectors;

    /// <summary>Each model's unit embedding of each photo, in the pack's order of embedders.</summary>
    public IReadOnlyDictionary<string, float[][]> PerModel => _perModel;

    /// <summary>Photos without an embedding, with the reason (no face found, unreadable file).</summary>
    public IReadOnlyDictionary<string, string> Failures => _failures;

    /// <summary>Where the embedded face is in each photo, and its overall quality.</summary>
    public IReadOnlyDictionary<string, (FaceBox Box, float Quality)> Faces => _faces;

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
                    result._faces[path] = (face.Box, face.Quality.Overall);
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
            if (_faces.TryGetValue(path, out var face))
                result._faces[path] = face;
        }
        foreach (var (path, why) in _failures)
            result._failures[path] = why;
        return result;
    }

    private const string CacheMagic = "facemesh-embeddings-1";

    /// <summary>
    /// The embeddings of <paramref name="paths"/> from <paramref name="cache"/> when it was written for the same
    /// photos (paths, sizes and modification times) and <paramref name="key"/> (the pack and pipeline settings);
    /// otherwise computed and written there. Only the fused vectors, boxes and qualities are kept.
    /// </summary>
    public static PhotoEmbeddings ComputeCached(string? cache, string key, IReadOnlyCollection<string> paths, Func<PhotoEmbeddings> compute)
    {
        var files = paths.Select(p => $"{p}|{new FileInfo(p).Length}|{File.GetLastWriteTimeUtc(p).Ticks}");
        string stamp = key + "\n" + string.Join("\n", files);
        if (cache is not null && File.Exists(cache) && TryRead(cache, stamp) is { } cached)
            return cached;
        var result = compute();
        if (cache is not null)
            result.Write(cache, stamp);
        return result;
    }

    private void Write(string path, string stamp)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        using var writer = new BinaryWriter(File.Create(path));
        writer.Write(CacheMagic);
        writer.Write(stamp);
        writer.Write(_vectors.Count);
        foreach (var (photo, vector) in _vectors)
        {
            writer.Write(photo);
            writer.Write(vector.Length);
            foreach (float v in vector)
                writer.Write(v);
            var (box, quality) = _faces.GetValueOrDefault(photo);
            writer.Write(box.Left);
            writer.Write(box.Top);
            writer.Write(box.Right);
            writer.Write(box.Bottom);
            writer.Write(quality);
        }
        writer.Write(_failures.Count);
        foreach (var (photo, why) in _failures)
        {
            writer.Write(photo);
            writer.Write(why);
        }
    }

    private static PhotoEmbeddings? TryRead(string path, string stamp)
    {
        try
        {
            using var reader = new BinaryReader(File.OpenRead(path));
            if (reader.ReadString() != CacheMagic || reader.ReadString() != stamp)
                return null;
            var result = new PhotoEmbeddings();
            for (int i = reader.ReadInt32(); i > 0; i--)
            {
                string photo = reader.ReadString();
                var vector = new float[reader.ReadInt32()];
                for (int d = 0; d < vector.Length; d++)
                    vector[d] = reader.ReadSingle();
                result._vectors[photo] = vector;
                var box = new FaceBox(reader.ReadSingle(), reader.ReadSingle(), reader.ReadSingle(), reader.ReadSingle());
                result._faces[photo] = (box, reader.ReadSingle());
            }
            for (int i = reader.ReadInt32(); i > 0; i--)
                result._failures[reader.ReadString()] = reader.ReadString();
            return result;
        }
        catch (Exception e) when (e is IOException or EndOfStreamException or FormatException)
        {
            return null; // a damaged cache is computed again
        }
    }
}
