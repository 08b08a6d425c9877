using System.Text.Json;
using FaceMesh.ModelPacks.TensorFlowJs;

namespace FaceMesh.ModelPacks.FaceApi;

/// <summary>
/// dlib's face recognition ResNet (<c>dlib_face_recognition_resnet_model_v1</c>: a ResNet-29-style network,
/// 128-d output) rebuilt as a TensorFlow graph from the weight shards that <c>@vladmandic/face-api</c>
/// ships. The package holds weights only; the layer order below follows its FaceRecognitionNet:
/// a 7×7/2 convolution with 32 filters and a 3×3/2 max pool, then residual stages of 32, 64, 128 and 256
/// filters (3, 4, 3 and 4 blocks, the first of each later stage and one more at the end downsampling),
/// global average pooling and a 256 → 128 fully connected layer. Each convolution is followed by its bias
/// and a per-channel affine "scale" layer (dlib's batch normalisation, folded). A downsampling block adds
/// its input average-pooled 2×2 and zero-padded to the block's channels (and, where the 3×3/2 valid
/// convolution leaves one row and column fewer, the block's output padded with zeros at the bottom and right).
/// The graph takes the 150×150 RGB chip already normalised, (x − mean) / 255 with the package's channel means.
/// </summary>
public static class DlibResNet
{
    public const int InputSize = 150;
    public const int EmbeddingSize = 128;
    public const string InputName = "chip";
    public const string OutputName = "descriptor";

    /// <summary>The per-channel means (R, G, B) that face-api subtracts before dividing by 255.</summary>
    public static readonly float[] MeanRgb = [122.782f, 117.001f, 104.298f];

    private enum Block { Residual, Down }

    private static readonly (string Name, Block Kind)[] Stages =
    [
        ("conv32_1", Block.Residual), ("conv32_2", Block.Residual), ("conv32_3", Block.Residual),
        ("conv64_down", Block.Down), ("conv64_1", Block.Residual), ("conv64_2", Block.Residual), ("conv64_3", Block.Residual),
        ("conv128_down", Block.Down), ("conv128_1", Block.Residual), ("conv128_2", Block.Residual),
        ("conv256_down", Block.Down), ("conv256_1", Block.Residual), ("conv256_2", Block.Residual),
        ("conv256_down_out", Block.Down),
    ];

    /// <summary>Reads the weights manifest (and its shards beside it) and builds the graph.</summary>
    public static TfGraph Load(string weightsManifestPath)
    {
        if (!File.Exists(weightsManifestPath))
            throw new ModelFileException($"The face-api weights manifest '{weightsManifestPath}' is missing.");
        Dictionary<string, TfTensor> weights;
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(weightsManifestPath));
            weights = TfjsWeights.Read(document.RootElement, Path.GetDirectoryName(Path.GetFullPath(weightsManifestPath))!, weightsManifestPath);
        }
        catch (JsonException e)
        {
            throw new ModelFileException($"'{weightsManifestPath}' is not a TensorFlow.js weights manifest: {e.Message}");
        }
        return new Builder(weights, weightsManifestPath).Build();
    }

    private sealed class Builder(Dictionary<string, TfTensor> weights, string source)
    {
        private readonly List<TfNode> _nodes = [];
        private readonly Dictionary<string, TfTensor> _constants = new(StringComparer.Ordinal);
        private readonly HashSet<string> _used = new(StringComparer.Ordinal);

        public TfGraph Build()
        {
            Add("Placeholder", InputName, []);
            string x = ConvLayer(InputName, "conv32_down", stride: 2, padding: "VALID", relu: true);
            x = Add("MaxPool", "max_pool", [x], ("ksize", Ints(1, 3, 3, 1)), ("strides", Ints(1, 2, 2, 1)), ("padding", Str("VALID")));
            int size = Valid(Valid(InputSize, 7), 3), channels = 32;
            foreach (var (name, kind) in Stages)
                (x, size, channels) = kind == Block.Residual ? (Residual(x, name), size, channels) : Down(x, name, size, channels);
            x = Add("Mean", "global_average", [x, Const("global_average/axes", TfTensor.Int([2], [1, 2]))], ("keep_dims", new TfAttribute { Bool = false }));
            Add("MatMul", OutputName, [x, Weight("fc", [channels, EmbeddingSize])]);
            var unused = weights.Keys.Where(k => !_used.Contains(k)).ToArray();
            if (unused.Length > 0)
                throw new ModelFileException($"{source}: the weights {string.Join(", ", unused.Take(5))} are not part of dlib's ResNet; this is another model.");
            return new TfGraph
            {
                Source = source,
                Nodes = _nodes,
                Constants = _constants,
                Inputs = [(InputName, [-1, InputSize, InputSize, 3])],
                Outputs = [OutputName],
            };
        }

        /// <summary>Output size of a stride-2 valid window of <paramref name="kernel"/> pixels.</summary>
        private static int Valid(int size, int kernel) => (size - kernel) / 2 + 1;

        private string Residual(string x, string name)
        {
            var y = ConvLayer(x, $"{name}/conv1", stride: 1, padding: "SAME", relu: true);
            y = ConvLayer(y, $"{name}/conv2", stride: 1, padding: "SAME", relu: false);
            y = Add("AddV2", $"{name}/add", [y, x]);
            return Add("Relu", $"{name}/relu", [y]);
        }

        private (string Output, int Size, int Channels) Down(string x, string name, int size, int channels)
        {
            var y = ConvLayer(x, $"{name}/conv1", stride: 2, padding: "VALID", relu: true);
            y = ConvLayer(y, $"{name}/conv2", stride: 1, padding: "SAME", relu: false);
            int outChannels = weights[$"{name}/conv2/conv/filters"].Shape[3];
            int convSize = Valid(size, 3), pooledSize = Valid(size, 2);
            var pooled = Add("AvgPool", $"{name}/shortcut_pool", [x], ("ksize", Ints(1, 2, 2, 1)), ("strides", Ints(1, 2, 2, 1)), ("padding", Str("VALID")));
            if (outChannels != channels)
                pooled = Add("Pad", $"{name}/shortcut_channels", [pooled, Paddings($"{name}/shortcut_channels", 0, 0, 0, 0, 0, outChannels - channels)]);
            if (pooledSize != convSize)
            {
                if (pooledSize - convSize != 1)
                    throw new InvalidOperationException($"{name}: the shortcut is {pooledSize - convSize} pixels larger than the block's output.");
                y = Add("Pad", $"{name}/bottom_right", [y, Paddings($"{name}/bottom_right", 0, 1, 0, 1, 0, 0)]);
            }
            y = Add("AddV2", $"{name}/add", [pooled, y]);
            return (Add("Relu", $"{name}/relu", [y]), pooledSize, outChannels);
        }

        /// <summary>Convolution, its bias, the per-channel scale layer, and an optional ReLU.</summary>
        private string ConvLayer(string x, string name, int stride, string padding, bool relu)
        {
            var filters = weights.GetValueOrDefault($"{name}/conv/filters")
                ?? throw new ModelFileException($"{source}: the weight '{name}/conv/filters' is missing; this is not dlib's ResNet.");
            var y = Add("Conv2D", $"{name}/conv", [x, Weight($"{name}/conv/filters", filters.Shape)],
                ("strides", Ints(1, stride, stride, 1)), ("padding", Str(padding)));
            int c = filters.Shape[3];
            y = Add("BiasAdd", $"{name}/bias", [y, Weight($"{name}/conv/bias", [c])]);
            y = Add("Mul", $"{name}/scale", [y, Weight($"{name}/scale/weights", [c])]);
            y = Add("AddV2", $"{name}/shift", [y, Weight($"{name}/scale/biases", [c])]);
            return relu ? Add("Relu", $"{name}/relu", [y]) : y;
        }

        private string Weight(string name, int[] shape)
        {
            if (!weights.TryGetValue(name, out var w))
                throw new ModelFileException($"{source}: the weight '{name}' is missing; this is not dlib's ResNet.");
            if (!w.Shape.SequenceEqual(shape))
                throw new ModelFileException($"{source}: the weight '{name}' has shape [{string.Join(",", w.Shape)}], dlib's ResNet needs [{string.Join(",", shape)}].");
            _used.Add(name);
            return Const(name, w);
        }

        private string Const(string name, TfTensor value)
        {
            _constants[name] = value;
            return Add("Const", name, []);
        }

        /// <summary>A [4, 2] int32 padding constant from (before, after) pairs of the NHWC axes after the batch.</summary>
        private string Paddings(string name, params int[] pairs) =>
            Const($"{name}/paddings", TfTensor.Int([4, 2], [0, 0, .. pairs]));

        private string Add(string op, string name, string[] inputs, params (string Key, TfAttribute Value)[] attributes)
        {
            _nodes.Add(new TfNode(name, op, inputs, attributes.ToDictionary(a => a.Key, a => a.Value)));
            return name;
        }

        private static TfAttribute Ints(params long[] values) => new() { Ints = values };
        private static TfAttribute Str(string value) => new() { String = value };
    }
}
