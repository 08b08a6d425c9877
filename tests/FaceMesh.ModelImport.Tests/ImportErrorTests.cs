using System.Text.Json.Nodes;
using FaceMesh.ModelPacks;
using FaceMesh.ModelPacks.FaceApi;
using FaceMesh.ModelPacks.TensorFlowJs;
using static FaceMesh.ModelImport.Tests.TestGraph;

namespace FaceMesh.ModelImport.Tests;

/// <summary>What the importer refuses, and that each refusal names what was wrong and where.</summary>
public sealed class ImportErrorTests
{
    /// <summary>A copy of a registry model in a folder of its own, to damage.</summary>
    private static string CopyOf(params string[] files)
    {
        var dir = TestPaths.NewTempDirectory();
        foreach (var f in files)
            File.Copy(RegistryModels.File(f), Path.Combine(dir, f));
        return dir;
    }

    [Fact]
    public void Unknown_op_is_refused_naming_the_op_the_node_and_the_file()
    {
        var dir = CopyOf("liveness.json", "liveness.bin");
        var path = Path.Combine(dir, "liveness.json");
        var json = JsonNode.Parse(File.ReadAllText(path))!;
        var node = json["modelTopology"]!["node"]!.AsArray().First(n => n!["op"]!.GetValue<string>() == "Softmax")!;
        node["op"] = "Erfinv";
        File.WriteAllText(path, json.ToJsonString());
        var e = Assert.Throws<UnsupportedOpException>(() => TfToOnnx.Convert(path, Path.Combine(dir, "out.onnx")));
        Assert.Equal("Erfinv", e.Op);
        Assert.Equal(node["name"]!.GetValue<string>(), e.Node);
        Assert.Contains(path, e.Message);
        Assert.Contains("Erfinv", e.Message);
        Assert.Contains(e.Node, e.Message);
        Assert.False(File.Exists(Path.Combine(dir, "out.onnx")));
    }

    [Fact]
    public void Weight_shard_of_the_wrong_size_is_refused_naming_the_shard()
    {
        var dir = CopyOf("mobilefacenet.json", "mobilefacenet.bin");
        var shard = Path.Combine(dir, "mobilefacenet.bin");
        using (var f = File.OpenWrite(shard))
            f.SetLength(f.Length - 4);
        var e = Assert.Throws<ModelFileException>(() => TfjsGraphModel.Load(Path.Combine(dir, "mobilefacenet.json")));
        Assert.Contains(shard, e.Message);
        Assert.Contains("5171972 bytes", e.Message);
        Assert.Contains("5171976", e.Message);
    }

    [Fact]
    public void Missing_weight_shard_and_a_manifest_of_another_model_are_refused()
    {
        var dir = CopyOf("face_recognition_model-weights_manifest.json");
        var e = Assert.Throws<ModelFileException>(() => DlibResNet.Load(Path.Combine(dir, "face_recognition_model-weights_manifest.json")));
        Assert.Contains("face_recognition_model.bin", e.Message);
        Assert.Contains("missing", e.Message);

        var other = CopyOf("face_landmark_68_model-weights_manifest.json", "face_landmark_68_model.bin");
        var wrong = Assert.Throws<ModelFileException>(() => DlibResNet.Load(Path.Combine(other, "face_landmark_68_model-weights_manifest.json")));
        Assert.Contains("this is not dlib's ResNet", wrong.Message);
    }

    [Fact]
    public void Settings_the_importer_does_not_translate_are_refused_not_guessed()
    {
        var g = new TestGraph();
        var x = g.Input("x", -1, 8, 8, 3);
        g.Node("Conv2D", "nchw", [x, g.Const("w", [3, 3, 3, 2], new float[54])], Attr("strides", 1, 1, 1, 1), Attr("padding", "SAME"), Attr("data_format", "NCHW"));
        var e = Assert.Throws<UnsupportedOpException>(() => TfToOnnx.Convert(g.Build("nchw")));
        Assert.Equal("nchw", e.Node);
        Assert.Contains("NCHW", e.Message);

        var f = new TestGraph();
        var y = f.Input("y", -1, 8, 8, 3);
        f.Node("_FusedConv2D", "bn", [y, f.Const("w2", [1, 1, 3, 2], new float[6]), f.Const("b2", [2], new float[2])], Attr("strides", 1, 1, 1, 1), Attr("padding", "SAME"), Strings("fused_ops", "FusedBatchNorm"));
        Assert.Contains("FusedBatchNorm", Assert.Throws<UnsupportedOpException>(() => TfToOnnx.Convert(f.Build("bn"))).Message);
    }

    [Fact]
    public void A_repair_the_graph_does_not_need_is_refused()
    {
        var graph = TfjsGraphModel.Load(RegistryModels.Graph("liveness"));
        var e = Assert.Throws<ModelFileException>(() => TfGraphRepairs.Apply(graph, [TfGraphRepairs.PreluFusedRelu]));
        Assert.Contains("does not need", e.Message);
        Assert.Throws<ModelFileException>(() => TfGraphRepairs.Apply(graph, ["tidy-up"]));
    }
}
