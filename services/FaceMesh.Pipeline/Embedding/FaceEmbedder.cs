using System.Numerics.Tensors;
using FaceMesh.Imaging;
using FaceMesh.ModelPacks;
using FaceMesh.Pipeline.Runtime;

namespace FaceMesh.Pipeline.Embedding;

/// <summary>
/// Aligned crops in, L2-normalised embeddings out, in batches of up to <see cref="MaxBatch"/>.
/// With flip test-time augmentation each crop is embedded with its mirror image in the same batch;
/// the two vectors are summed and renormalised (as in ArcFace's evaluation code).
/// </summary>
public sealed class FaceEmbedder : IDisposable
{
    private readonly OnnxModel _model;
    private readonly EmbedderSpec _spec;

    public FaceEmbedder(string modelPath, EmbedderSpec spec, InferenceOptions options, Action<string>? log = null)
    {
        _spec = spec;
        _model = new OnnxModel(modelPath, options, log);
        SupportsBatching = _model.InputShape.Length == 4 && _model.InputShape[0] < 0;
    }

    public string ModelId => _spec.ModelId;
    public int Dimension => _spec.EmbeddingSize;
    public int CropSize => _spec.InputSize;
    public bool SupportsBatching { get; }
    public ExecutionProvider Provider => _model.Provider;
    public int MaxBatch { get; init; } = 32;

    public float[] Embed(RgbImage crop, bool flip = false) => Embed([crop], flip)[0];

    public float[][] Embed(IReadOnlyList<RgbImage> crops, bool flip = false)
    {
        var result = new float[crops.Count][];
        int perBatch = SupportsBatching ? Math.Max(1, flip ? MaxBatch / 2 : MaxBatch) : 1;
        for (int start = 0; start < crops.Count; start += perBatch)
        {
            int count = Math.Min(perBatch, crops.Count - start);
            var raw = RunBatch(crops, start, count, flip);
            for (int i = 0; i < count; i++)
            {
                var vector = raw[i];
                if (flip)
                    TensorPrimitives.Add(vector, raw[count + i], vector);
                Normalize(vector);
                result[start + i] = vector;
            }
        }
        return result;
    }

    /// <summary>Raw model outputs for crops[start..start+count], then (with flip) their mirrors.</summary>
    private float[][] RunBatch(IReadOnlyList<RgbImage> crops, int start, int count, bool flip)
    {
        int size = _spec.InputSize, plane = 3 * size * size, dim = _spec.EmbeddingSize;
        int batch = flip ? 2 * count : count;
        var outputs = new float[batch][];
        if (!SupportsBatching)
        {
            for (int i = 0; i < batch; i++)
                outputs[i] = RunOne(crops[start + i % count], mirror: i >= count);
            return outputs;
        }
        var input = new float[batch * plane];
        for (int i = 0; i < batch; i++)
        {
            var crop = crops[start + i % count];
            CheckSize(crop);
            ModelInput.WritePlanar(crop, _spec.Normalization, input.AsSpan(i * plane, plane), mirror: i >= count);
        }
        var output = _model.Run(input, [batch, 3, size, size]).Values.First();
        for (int i = 0; i < batch; i++)
            outputs[i] = output.AsSpan(i * dim, dim).ToArray();
        return outputs;
    }

    private float[] RunOne(RgbImage crop, bool mirror)
    {
        int size = _spec.InputSize;
        CheckSize(crop);
        var input = new float[3 * size * size];
        ModelInput.WritePlanar(crop, _spec.Normalization, input, mirror);
        return _model.Run(input, [1, 3, size, size]).Values.First();
    }

    private void CheckSize(RgbImage crop)
    {
        if (crop.Width != _spec.InputSize || crop.Height != _spec.InputSize)
            throw new ArgumentException($"The embedder takes {_spec.InputSize}x{_spec.InputSize} aligned crops, not {crop.Width}x{crop.Height}.");
    }

    public static void Normalize(Span<float> vector)
    {
        float norm = TensorPrimitives.Norm(vector);
        if (norm > 0)
            TensorPrimitives.Divide(vector, norm, vector);
    }

    public void Dispose() => _model.Dispose();
}
