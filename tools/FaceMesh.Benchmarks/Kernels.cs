using System.Numerics;
using BenchmarkDotNet.Attributes;
using FaceMesh.Imaging;
using FaceMesh.Pipeline.Alignment;
using FaceMesh.Pipeline.Embedding;

namespace FaceMesh.Benchmarks;

/// <summary>The pixel and vector kernels of the pipeline (BenchmarkDotNet: <c>facemesh-bench --kernels</c>).</summary>
[MemoryDiagnoser]
public class Kernels
{
    private static readonly Vector2[] Reference = [new(38.2946f, 51.6963f), new(73.5318f, 51.5014f), new(56.0252f, 71.7366f), new(41.5493f, 92.3655f), new(70.7299f, 92.2041f)];
    private static readonly Vector2[] Found = Reference.Select(p => p * 2.5f + new Vector2(300, 120)).ToArray();
    private RgbImage _photo = null!;
    private float[] _a = null!, _b = null!;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        var pixels = new byte[1280 * 720 * 3];
        random.NextBytes(pixels);
        _photo = new RgbImage(1280, 720, pixels);
        _a = Enumerable.Range(0, 512).Select(_ => (float)random.NextDouble()).ToArray();
        _b = Enumerable.Range(0, 512).Select(_ => (float)random.NextDouble()).ToArray();
    }

    [Benchmark] public object SimilarityTransformEstimate() => SimilarityTransform.Estimate(Found, Reference);
    [Benchmark] public object AlignTo112() => new FaceAligner(Reference, 112).Align(_photo, Found);
    [Benchmark] public object ResizeTo320x240() => Resampler.Resize(_photo, 320, 240);
    [Benchmark] public float Cosine512() => CosineSimilarity.Of(_a, _b);
}
