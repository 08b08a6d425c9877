using FaceMesh.Imaging;
using FaceMesh.ModelPacks;
using FaceMesh.ModelPacks.FaceApi;
using FaceMesh.ModelPacks.TensorFlowJs;
using FaceMesh.Pipeline;
using FaceMesh.Pipeline.Alignment;
using FaceMesh.Pipeline.Runtime;

namespace FaceMesh.ModelImport.Tests;

/// <summary>
/// Every face model the packs import, converted to ONNX and compared with the reference interpreter: every
/// node's value (op by op) and the outputs (end to end), within 1e-4 of the tensor's scale.
/// </summary>
public sealed class ImportedModelTests
{
    public static TheoryData<string, string?, string?> GraphModels => new()
    {
        { "mobilefacenet", null, TfGraphRepairs.PreluFusedRelu },
        { "faceres", "global_pooling/Mean", null },
        { "faceres-deep", "global_pooling/Mean", null },
        { "facemesh", null, null },
        { "iris", null, null },
        { "blazeface-back", null, null },
        { "facemesh-detection-full", null, null },
        { "liveness", null, null },
        { "antispoof", null, null },
    };

    [Theory]
    [MemberData(nameof(GraphModels))]
    public void Imported_graph_matches_the_reference_interpreter_op_by_op_on_random_input(string model, string? output, string? repair)
    {
        var graph = TfGraphRepairs.Apply(TfjsGraphModel.Load(RegistryModels.Graph(model)), repair is null ? null : [repair]);
        var outputs = output is null ? graph.Outputs : [output];
        var shape = graph.Inputs[0].Shape.Select(d => d < 0 ? 1 : (int)d).ToArray();
        var differences = ImportCheck.Compare(graph, outputs, ImportCheck.Random(shape.Aggregate(1, (a, b) => a * b), seed: model.Length), shape);
        ImportCheck.AssertAllMatch(differences);
        Assert.All(outputs, o => Assert.Contains(differences, d => d.Node == o)); // the outputs themselves were compared
    }

    [Fact]
    public void Dlib_resnet_matches_the_reference_interpreter_op_by_op_on_random_input()
    {
        var graph = DlibResNet.Load(RegistryModels.DlibManifest);
        Assert.Equal(DlibResNet.OutputName, Assert.Single(graph.Outputs));
        var differences = ImportCheck.Compare(graph, graph.Outputs, ImportCheck.Random(150 * 150 * 3, seed: 7, lo: -0.5f, hi: 0.5f), [1, 150, 150, 3]);
        ImportCheck.AssertAllMatch(differences);
        Assert.Equal(DlibResNet.EmbeddingSize, 128);
    }

    public static TheoryData<string, int, string?> Embedders => new()
    {
        { "mobilefacenet", 112, null },
        { "faceres", 224, "global_pooling/Mean" },
        { "dlib", 150, null },
    };

    /// <summary>Real faces, aligned as each model's pack aligns them, through both: the embeddings agree.</summary>
    [Theory]
    [MemberData(nameof(Embedders))]
    public void Imported_embedder_matches_the_reference_interpreter_on_real_aligned_faces(string model, int size, string? output)
    {
        var graph = model == "dlib"
            ? DlibResNet.Load(RegistryModels.DlibManifest)
            : TfGraphRepairs.Apply(TfjsGraphModel.Load(RegistryModels.Graph(model)), model == "mobilefacenet" ? [TfGraphRepairs.PreluFusedRelu] : null);
        var outputs = output is null ? graph.Outputs : [output];
        using var finder = FaceFinder.Open(ModelPack.Load(TestPaths.DefaultPack));
        var spec = model == "dlib"
            ? new AlignmentSpec(size, null, 0.25f)
            : new AlignmentSpec(size, EmbedderSpec.ArcFaceReference112.Select(p => new System.Numerics.Vector2(p[0], p[1]) * (size / 112f)).ToArray(), null);
        var aligner = new FaceAligner(spec);
        var normalization = new Normalization(127.5f, 128, ChannelOrder.Rgb, "NHWC");
        foreach (var photo in new[] { "obama.jpg", "biden.jpg" })
        {
            var image = ImageDecoder.Decode(File.ReadAllBytes(TestPaths.Example(photo)));
            var face = finder.FindPrimary(image)!;
            var crop = aligner.Align(image, face.Landmarks, face.DenseLandmarks);
            var input = new float[size * size * 3];
            ModelInput.WriteInterleaved(crop, normalization, input);
            var differences = ImportCheck.Compare(graph, outputs, input, [1, size, size, 3]);
            ImportCheck.AssertAllMatch(differences);
            var embedding = differences.Single(d => d.Node == outputs[0]);
            Assert.True(embedding.MaxReference > 1e-3, $"{model} gave an all-zero embedding for {photo}");
        }
    }
}
