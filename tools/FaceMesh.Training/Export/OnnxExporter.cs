using FaceMesh.ModelPacks.Onnx;
using Google.Protobuf;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FaceMesh.Training.Export;

/// <summary>A module whose forward is more than its children in order (a residual block): it writes its own nodes.</summary>
public interface IOnnxExportable
{
    /// <summary>Adds the module's nodes reading <paramref name="input"/>; returns the name of its output.</summary>
    string ExportOnnx(OnnxGraph graph, string input, string prefix);
}

/// <summary>
/// Writes a trained backbone (in evaluation mode: batch norms folded from their running statistics, dropout
/// gone) as an ONNX model with a dynamic batch dimension: input <c>input</c> (batch × 3 × 112 × 112, pixels
/// as (x − 127.5) / 128), output <c>embedding</c> (batch × size, not normalised; the Embedder normalises).
/// Written with FaceMesh's own ONNX schema (Google.Protobuf); no Python, no torch.onnx.
/// </summary>
public static class OnnxExporter
{
    public const string Input = "input", Output = "embedding";

    public static ModelProto Export(nn.Module<Tensor, Tensor> backbone, long embeddingSize, IReadOnlyDictionary<string, string>? metadata = null)
    {
        backbone.eval();
        var graph = new OnnxGraph();
        Module(graph, backbone, Input, "backbone");
        return graph.Model(Input, [3, 112, 112], Output, embeddingSize, "FaceMesh.Training", metadata ?? new Dictionary<string, string>());
    }

    /// <summary>
    /// A classifier: the backbone, then the softmax head's linear layer and a softmax, so the output <c>scores</c>
    /// (batch × classes) holds each class's probability (a liveness pack reads its live column).
    /// </summary>
    public static ModelProto ExportClassifier(nn.Module<Tensor, Tensor> backbone, Heads.SoftmaxHead head, IReadOnlyDictionary<string,
        string> metadata)
    {
        backbone.eval();
        head.eval();
        var graph = new OnnxGraph();
        var embedding = Module(graph, backbone, Input, "backbone");
        var logits = Module(graph, head.Classifier, embedding, "head");
        graph.Node("Softmax", "softmax", [logits], OnnxGraph.Int("axis", 1));
        return graph.Model(Input, [3, 112, 112], Scores, head.Classifier.weight!.shape[0], "FaceMesh.Training", metadata);
    }

    public const string Scores = "scores";

    public static void Save(ModelProto model, string path)
    {
        using var file = File.Create(path);
        model.WriteTo(file);
    }

    /// <summary>Adds a module's nodes; returns its output's name.</summary>
    public static string Module(OnnxGraph g, nn.Module module, string x, string prefix)
    {
        switch (module)
        {
            case IOnnxExportable custom:
                return custom.ExportOnnx(g, x, prefix);
            case Sequential sequential:
                foreach (var (name, child) in sequential.named_children())
                    x = Module(g, child, x, $"{prefix}.{name}");
                return x;
            case Conv2d conv:
                {
                    var inputs = new List<string> { x, g.Initializer($"{prefix}.weight", conv.weight!) };
                    if (conv.bias is not null)
                        inputs.Add(g.Initializer($"{prefix}.bias", conv.bias));
                    return g.Node("Conv", prefix, inputs,
                        OnnxGraph.Ints("kernel_shape", conv.kernel_size), OnnxGraph.Ints("strides", conv.stride),
                        OnnxGraph.Ints("pads", [.. conv.padding ?? [0, 0], .. conv.padding ?? [0, 0]]), OnnxGraph.Ints("dilations", conv.dilation),
                        OnnxGraph.Int("group", conv.groups));
                }
            case BatchNorm2d bn:
                return BatchNorm(g, x, prefix, bn.weight!, bn.bias!, bn.running_mean!, bn.running_var!, bn.eps);
            case BatchNorm1d bn:
                return BatchNorm(g, x, prefix, bn.weight!, bn.bias!, bn.running_mean!, bn.running_var!, bn.eps);
            case PReLU prelu:
                // One slope per channel, broadcast over height and width.
                return g.Node("PRelu", prefix, [x, g.Initializer($"{prefix}.weight", prelu.weight!.reshape(-1, 1, 1))]);
            case ReLU:
                return g.Node("Relu", prefix, [x]);
            case Dropout:
                return x; // evaluation mode
            case Flatten flatten when flatten.start_dim == 1:
                return g.Node("Flatten", prefix, [x], OnnxGraph.Int("axis", 1));
            case Linear linear:
                {
                    var inputs = new List<string> { x, g.Initializer($"{prefix}.weight", linear.weight!) };
                    if (linear.bias is not null)
                        inputs.Add(g.Initializer($"{prefix}.bias", linear.bias));
                    return g.Node("Gemm", prefix, inputs, OnnxGraph.Int("transB", 1));
                }
            case MaxPool2d pool:
                return g.Node("MaxPool", prefix, [x], OnnxGraph.Ints("kernel_shape", pool.kernel_size),
                    OnnxGraph.Ints("strides", pool.stride ?? pool.kernel_size), OnnxGraph.Ints("pads", [.. pool.padding ?? [0, 0], .. pool.padding ?? [0, 0]]));
            default:
                throw new NotSupportedException($"{prefix}: no ONNX export for {module.GetType().Name}; implement IOnnxExportable on it.");
        }
    }

    private static string BatchNorm(OnnxGraph g, string x, string prefix, Tensor scale, Tensor bias, Tensor mean, Tensor variance, double eps) =>
        g.Node("BatchNormalization", prefix,
            [x, g.Initializer($"{prefix}.weight", scale), g.Initializer($"{prefix}.bias", bias),
             g.Initializer($"{prefix}.running_mean", mean), g.Initializer($"{prefix}.running_var", variance)],
            OnnxGraph.Float("epsilon", (float)eps));

    /// <summary>Adds two tensors.</summary>
    public static string Add(OnnxGraph g, string a, string b, string prefix) => g.Node("Add", prefix, [a, b]);
}
