using FaceMesh.Imaging;
using FaceMesh.Pipeline;

namespace FaceMesh.Testing;

/// <summary>One pipeline on the default pack (the real ONNX models), shared by the tests of a collection.</summary>
public sealed class PipelineFixture : IDisposable
{
    public FacePipeline Pipeline { get; } = FacePipeline.Open(TestPaths.DefaultPack);

    public static RgbImage Load(string path) => ImageDecoder.Decode(File.ReadAllBytes(path));

    public float[] EmbedPrimary(string path)
    {
        var face = Pipeline.FindPrimary(Load(path)) ?? throw new Xunit.Sdk.XunitException($"No face found in {path}.");
        return Pipeline.Embed(face);
    }

    public void Dispose() => Pipeline.Dispose();
}
