using FaceMesh.ModelPacks.Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace FaceMesh.Training.Backbones;

/// <summary>
/// Loads the ImageNet ResNet-18 shipped as ONNX in the NuGet package Microsoft.ML.DnnImageFeaturizer.ResNet18
/// (restored with this project) into <see cref="ResNet18"/>. The ONNX file names its tensors by number, so the
/// weights are matched by the graph's structure: its Conv → BatchNormalization pairs in node order are the stem,
/// then, block by block, the 1×1 shortcut (where there is one) and the two 3×3 convolutions.
/// </summary>
public static class ImageNetWeights
{
    public static string DefaultPath => Path.Combine(NuGetRoot(), "microsoft.ml.dnnimagefeaturizer.resnet18", "0.23.1",
        "tools", "DnnImageModels", "ResNet18Onnx", "ResNet18.onnx");

    private static string NuGetRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "FaceMesh.sln")))
                return Path.Combine(dir.FullName, "artifacts", "nuget");
        return Environment.GetEnvironmentVariable("NUGET_PACKAGES") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
    }

    private sealed record ConvBn(string Conv, string Scale, string Bias, string Mean, string Variance, long[] ConvShape);

    /// <summary>Copies the ImageNet weights into every layer but the face neck; returns how many tensors were loaded.</summary>
    public static int LoadInto(ResNet18 model, string? onnxPath = null)
    {
        var path = onnxPath ?? DefaultPath;
        if (!File.Exists(path))
            throw new FileNotFoundException($"The ImageNet ResNet-18 weights are not at {path}. Restore tools/FaceMesh.Training (it downloads Microsoft.ML.DnnImageFeaturizer.ResNet18 0.23.1).");
        var graph = ModelProto.Parser.ParseFrom(File.ReadAllBytes(path)).Graph;
        var weights = graph.Initializer.ToDictionary(t => t.Name);
        var producers = graph.Node.SelectMany(n => n.Output.Select(o => (o, n))).ToDictionary(x => x.o, x => x.n);
        var pairs = new List<ConvBn>();
        foreach (var bn in graph.Node.Where(n => n.OpType == "BatchNormalization"))
        {
            var conv = producers[bn.Input[0]];
            if (conv.OpType != "Conv")
                throw new InvalidDataException($"{path}: a batch norm that does not follow a convolution; not the expected ResNet-18.");
            pairs.Add(new ConvBn(conv.Input[1], bn.Input[1], bn.Input[2], bn.Input[3], bn.Input[4], weights[conv.Input[1]].Dims.ToArray()));
        }
        string[] layers = ["layer1", "layer2", "layer3", "layer4"];
        int expected = 1 + 3 + 2 * model.Blocks.Sum();
        if (pairs.Count != expected)
            throw new InvalidDataException($"{path}: {pairs.Count} convolution + batch-norm pairs; a ResNet with blocks [{string.Join(", ", model.Blocks)}] has {expected}. " +
                                           $"Build the backbone with ResNet18.DnnImageFeaturizerBlocks to load these weights.");

        // Our layers in the same order: the stem, then per block [downsample], conv1, conv2.
        var targets = new List<string> { "conv1|bn1" };
        for (int l = 0; l < 4; l++)
            for (int block = 0; block < model.Blocks[l]; block++)
            {
                var layer = layers[l];
                if (block == 0 && layer != "layer1")
                    targets.Add($"{layer}.0.downsample.0|{layer}.0.downsample.1");
                targets.Add($"{layer}.{block}.conv1|{layer}.{block}.bn1");
                targets.Add($"{layer}.{block}.conv2|{layer}.{block}.bn2");
            }
        // In the ONNX order a block's 1×1 shortcut may come before or after its 3×3s: match each block's pairs by kernel.
        var ordered = new List<ConvBn> { pairs[0] };
        int next = 1;
        for (int l = 0; l < 4; l++)
            for (int block = 0; block < model.Blocks[l]; block++)
            {
                var layer = layers[l];
                bool shortcut = block == 0 && layer != "layer1";
                var group = pairs.GetRange(next, shortcut ? 3 : 2);
                next += group.Count;
                if (shortcut)
                    ordered.Add(group.Single(p => p.ConvShape[2] == 1));
                ordered.AddRange(group.Where(p => p.ConvShape[2] == 3));
            }

        var state = model.state_dict();
        int loaded = 0;
        using var _ = no_grad();
        for (int i = 0; i < targets.Count; i++)
        {
            var names = targets[i].Split('|');
            var source = ordered[i];
            Copy(state[$"{names[0]}.weight"], weights[source.Conv]);
            Copy(state[$"{names[1]}.weight"], weights[source.Scale]);
            Copy(state[$"{names[1]}.bias"], weights[source.Bias]);
            Copy(state[$"{names[1]}.running_mean"], weights[source.Mean]);
            Copy(state[$"{names[1]}.running_var"], weights[source.Variance]);
            loaded += 5;
        }
        return loaded;
    }

    private static void Copy(Tensor target, TensorProto source)
    {
        var values = source.FloatData.Count > 0
            ? source.FloatData.ToArray()
            : System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(source.RawData.Span).ToArray();
        if (!target.shape.SequenceEqual(source.Dims))
            throw new InvalidDataException($"ImageNet tensor {source.Name} is [{string.Join(",", source.Dims)}]; the layer expects [{string.Join(",", target.shape)}].");
        target.copy_(tensor(values, target.shape));
    }
}
