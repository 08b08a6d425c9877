using System.Text.Json;
using FaceMesh.Imaging;
using FaceMesh.ModelPacks;
using FaceMesh.ModelPacks.Onnx;
using FaceMesh.Pipeline;
using FaceMesh.Pipeline.Alignment;
using Google.Protobuf;

namespace FaceMesh.ModelImport.Tests;

/// <summary>A landmark model that returns NaN is a clear error naming the model file, for the 68-point model and the face mesh.</summary>
public sealed class LandmarkFaultTests
{
    /// <summary>An ONNX model that takes the landmark model's input and returns NaN in every point (and a finite score).</summary>
    private static void WriteNaNModel(string path, long[] inputShape, params (string Name, long Size, bool NaN)[] outputs)
    {
        var g = new OnnxGraphBuilder();
        g.Input("input", ["batch", .. inputShape.Skip(1).Cast<object>()]);
        var flat = g.Node("Flatten", "flat", ["input"], OnnxGraphBuilder.Int("axis", 1));
        var mean = g.Node("ReduceMean", "mean", [flat], OnnxGraphBuilder.Ints("axes", [1]), OnnxGraphBuilder.Int("keepdims", 1));
        foreach (var (name, size, nan) in outputs)
        {
            var scale = g.Initializer($"{name}_scale", Enumerable.Repeat(nan ? float.NaN : 0f, (int)size).ToArray(), [1, size]);
            var value = g.Node("Mul", name, [mean, scale]);
            g.Rename(value, name);
            g.Output(name, "batch", size);
        }
        File.WriteAllBytes(path, g.Model("test").ToByteArray());
    }

    private static string PackWith(Func<ModelPackManifest, string, ModelPackManifest> change, string modelFile)
    {
        var dir = TestPaths.NewTempDirectory();
        var source = ModelPack.Load(TestPaths.DefaultPack);
        foreach (var f in source.Manifest.Files.Select(f => f.Name).Concat(source.Manifest.Derived.Select(d => d.Name)))
            File.Copy(source.PathOf(f), Path.Combine(dir, f));
        var manifest = change(source.Manifest, dir) with
        {
            Trained = [new TrainedFile(modelFile, "a test model that returns NaN", Sha256File.Compute(Path.Combine(dir, modelFile)))],
        };
        File.WriteAllText(Path.Combine(dir, ModelPack.ManifestFileName), JsonSerializer.Serialize(manifest, ModelPackManifest.Json));
        return dir;
    }

    [Theory]
    [InlineData("obama.jpg")]
    [InlineData("two_people.jpg")] // faces described side by side: the error is still the landmark model's own
    public void A_68_point_model_that_returns_NaN_is_refused_naming_the_file(string photo)
    {
        var pack = PackWith((m, dir) =>
        {
            WriteNaNModel(Path.Combine(dir, "nan68.onnx"), [1, 1, 64, 64], ("landmarks", 136, true));
            return m with { Landmarks = m.Landmarks! with { File = "nan68.onnx" }, FaceMesh = null };
        }, "nan68.onnx");
        using var finder = FaceFinder.Open(ModelPack.Load(pack));
        var e = Assert.Throws<LandmarkModelException>(() => finder.Detect(ImageDecoder.Decode(File.ReadAllBytes(TestPaths.Example(photo)))));
        Assert.Contains("nan68.onnx", e.Message);
        Assert.Contains("non-finite", e.Message);
    }

    [Fact]
    public void A_face_mesh_that_returns_NaN_is_refused_naming_the_file()
    {
        var pack = PackWith((m, dir) =>
        {
            WriteNaNModel(Path.Combine(dir, "nanmesh.onnx"), [1, 192, 192, 3], ("mesh", 1404, true), ("score", 1, false));
            return m with
            {
                FaceMesh = new FaceMeshSpec
                {
                    File = "nanmesh.onnx", InputSize = 192, Normalization = new Normalization(0, 255, ChannelOrder.Rgb, "NHWC"),
                    MeshOutput = "mesh", ConfidenceOutput = "score",
                },
            };
        }, "nanmesh.onnx");
        using var finder = FaceFinder.Open(ModelPack.Load(pack), new PipelineOptions { Landmarks = LandmarkChoice.FaceMesh });
        var e = Assert.Throws<LandmarkModelException>(() => finder.Detect(ImageDecoder.Decode(File.ReadAllBytes(TestPaths.Example("obama.jpg")))));
        Assert.Contains("nanmesh.onnx", e.Message);
    }
}
