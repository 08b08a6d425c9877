using FaceMesh.Imaging;
using FaceMesh.ModelPacks;
using FaceMesh.Pipeline.Alignment;
using FaceMesh.Pipeline.Runtime;

namespace FaceMesh.Pipeline.Embedding;

/// <summary>
/// A pack's embedder: aligned faces in, unit embeddings out. A pack with one model gives that model's
/// L2-normalised output. A fused pack runs each of its models on the face's crop for that model and
/// concatenates the L2-normalised outputs, each scaled by √wᵢ (weights normalised to sum to 1): the result
/// is a unit vector whose cosine with another is Σ wᵢ·cosᵢ, the weighted mean of the models' cosines, so
/// the Matcher, the stores and the galleries handle it like any other embedding.
/// </summary>
public sealed class FaceEmbedder : IDisposable
{
    private readonly EmbeddingModel[] _models;
    private readonly int[] _cropOfModel;
    private readonly float[] _scales;

    private FaceEmbedder(ModelPackManifest manifest, EmbeddingModel[] models)
    {
        _models = models;
        (Crops, _cropOfModel) = AlignmentSpec.Of(manifest);
        float total = models.Sum(m => m.Spec.Weight);
        Weights = models.Select(m => m.Spec.Weight / total).ToArray();
        _scales = Weights.Select(MathF.Sqrt).ToArray();
        ModelId = manifest.ModelId;
    }

    /// <summary>Opens every embedding model of the pack.</summary>
    public static FaceEmbedder Open(ModelPack pack, InferenceOptions options, Action<string>? log = null, int maxBatch = 32)
    {
        var models = new List<EmbeddingModel>();
        try
        {
            foreach (var spec in pack.Manifest.EmbeddingModels)
                models.Add(new EmbeddingModel(pack.PathOf(spec.File), spec, options, log) { MaxBatch = maxBatch });
        }
        catch
        {
            models.ForEach(m => m.Dispose());
            throw;
        }
        return new FaceEmbedder(pack.Manifest, models.ToArray());
    }

    public string ModelId { get; }
    public int Dimension => _models.Sum(m => m.Dimension);
    public IReadOnlyList<EmbeddingModel> Models => _models;
    /// <summary>The models' weights, summing to 1.</summary>
    public IReadOnlyList<float> Weights { get; }
    /// <summary>The distinct crops a face needs, in the order faces carry them.</summary>
    public IReadOnlyList<AlignmentSpec> Crops { get; }
    /// <summary>For each model, the index of its crop in <see cref="Crops"/>.</summary>
    public IReadOnlyList<int> CropOfModel => _cropOfModel;
    /// <summary>The first crop's size (the only one of a pack with one embedder).</summary>
    public int CropSize => Crops[0].Size;
    public ExecutionProvider Provider => _models[0].Provider;

    /// <summary>One face given by its one crop (packs whose embedders share one alignment).</summary>
    public float[] Embed(RgbImage crop, bool flip = false) => Embed([crop], flip)[0];

    /// <summary>Faces given by their one crop each (packs whose embedders share one alignment).</summary>
    public float[][] Embed(IReadOnlyList<RgbImage> crops, bool flip = false)
    {
        if (Crops.Count != 1)
            throw new ArgumentException($"The pack's embedders take {Crops.Count} crops of each face ({string.Join("; ", Crops)}); pass every face's crops.");
        return EmbedFaces(crops.Select(c => (IReadOnlyList<RgbImage>)[c]).ToArray(), flip);
    }

    /// <summary>Faces given by their crops (one per <see cref="Crops"/> entry, in order).</summary>
    public float[][] EmbedFaces(IReadOnlyList<IReadOnlyList<RgbImage>> faces, bool flip = false) =>
        Fuse(EmbedEach(faces, flip));

    /// <summary>Each model's unit embedding of each face: <c>[model][face]</c> (for calibrating the fusion's weights).</summary>
    public float[][][] EmbedEach(IReadOnlyList<IReadOnlyList<RgbImage>> faces, bool flip = false)
    {
        foreach (var face in faces)
            if (face.Count != Crops.Count)
                throw new ArgumentException($"A face carries {face.Count} crops; the pack's embedders take {Crops.Count} ({string.Join("; ", Crops)}).");
        var perModel = new float[_models.Length][][];
        for (int m = 0; m < _models.Length; m++)
            perModel[m] = _models[m].Embed(faces.Select(f => f[_cropOfModel[m]]).ToArray(), flip);
        return perModel;
    }

    private float[][] Fuse(float[][][] perModel)
    {
        int faces = perModel[0].Length;
        if (_models.Length == 1)
            return perModel[0];
        var fused = new float[faces][];
        for (int f = 0; f < faces; f++)
            fused[f] = Fuse(perModel.Select(m => m[f]).ToArray(), _scales);
        return fused;
    }

    /// <summary>Concatenates unit vectors scaled by <paramref name="scales"/> (√weight) and renormalises.</summary>
    public static float[] Fuse(IReadOnlyList<float[]> vectors, IReadOnlyList<float> scales)
    {
        var result = new float[vectors.Sum(v => v.Length)];
        int at = 0;
        for (int m = 0; m < vectors.Count; m++)
        {
            System.Numerics.Tensors.TensorPrimitives.Multiply(vectors[m], scales[m], result.AsSpan(at, vectors[m].Length));
            at += vectors[m].Length;
        }
        EmbeddingModel.Normalize(result);
        return result;
    }

    public static void Normalize(Span<float> vector) => EmbeddingModel.Normalize(vector);

    public void Dispose()
    {
        foreach (var model in _models)
            model.Dispose();
    }
}
