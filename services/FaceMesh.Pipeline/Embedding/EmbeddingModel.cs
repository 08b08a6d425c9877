using System.Numerics.Tensors;
using FaceMesh.Imaging;
using FaceMesh.ModelPacks;
using FaceMesh.Pipeline.Runtime;

namespace FaceMesh.Pipeline.Embedding;

/// <summary>
/// One embedding network: aligned crops in, L2-normalised vectors out, in batches of up to <see cref="MaxBatch"/>,
/// with the model's own input size, layout (NCHW or NHWC), channel order and normalisation. With flip test-time
/// augmentation each crop is embedded with its mirror image in the same batch; the two vectors are summed and
/// renormalised (as in ArcFace's evaluation code).
/// </summary>
public sealed class EmbeddingModel : IDisposable
{
    private readonly OnnxModel _model;
    private readonly EmbedderSpec _spec;

    public EmbeddingModel(string modelPath, EmbedderSpec spec, InferenceOptions options, Action<string>? log = null)
    {
        _spec = spec;
        _model = new OnnxModel(modelPath, options, log);
        SupportsBatching = _model.InputShape.Length == 4 && _model.InputShape[0] < 0;
    }

    public EmbedderSpec Spec => _spec;
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
        int runs = SupportsBatching ? 1 : batch;
        int perRun = SupportsBatching ? batch : 1;
        var outputs = new float[batch][];
        for (int run = 0; run < runs; run++)
        {
            var input = new float[perRun * plane];
            for (int j = 0; j < perRun; j++)
            {
                int i = run * perRun + j;
                var crop = crops[start + i % count];
                CheckSize(crop);
                ModelInput.Write(crop, _spec.Normalization, input.AsSpan(j * plane, plane), mirror: i >= count);
            }
            long[] shape = _spec.Normalization.Interleaved ? [perRun, size, size, 3] : [perRun, 3, size, size];
            var output = _model.Run(input, shape).Values.First();
            if (output.Length != perRun * dim)
                throw new ModelFileException($"The embedder '{_spec.ModelId}' returned {output.Length / perRun} values per crop; its manifest declares {dim}.");
            for (int j = 0; j < perRun; j++)
                outputs[run * perRun + j] = output.AsSpan(j * dim, dim).ToArray();
        }
        return outputs;
    }

    private void CheckSize(RgbImage crop)
    {
        if (crop.Width != _spec.InputSize || crop.Height != _spec.InputSize)
            throw new ArgumentException($"The embedder '{_spec.ModelId}' takes {_spec.InputSize}x{_spec.InputSize} aligned crops, not {crop.Width}x{crop.Height}.");
    }

    public static void Normalize(Span<float> vector)
    {
        float norm = TensorPrimitives.Norm(vector);
        if (norm > 0)
            TensorPrimitives.Divide(vector, norm, vector);
    }

    public void Dispose() => _model.Dispose();
}
