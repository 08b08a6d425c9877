using FaceMesh.Imaging;
using FaceMesh.ModelPacks;
using FaceMesh.Pipeline.Detection;
using FaceMesh.Pipeline.Embedding;
using FaceMesh.Pipeline.Verification;

namespace FaceMesh.Pipeline;

/// <summary>
/// The face pipeline of one model pack, from pixels to embeddings: the <see cref="FaceFinder"/> (detect,
/// five landmarks, align, quality), then the <see cref="FaceEmbedder"/>, and the pack's calibrated
/// thresholds for decisions. Thread-safe: ONNX Runtime sessions may be run concurrently.
/// </summary>
public sealed class FacePipeline : IDisposable
{
    private FacePipeline(ModelPack pack, PipelineOptions options, Action<string>? log)
    {
        Pack = pack;
        Options = options;
        Finder = FaceFinder.Open(pack, options, log);
        Embedder = FaceEmbedder.Open(pack, options.Inference, log, options.MaxBatch);
        Thresholds = VerificationThresholds.From(pack.Manifest.Thresholds);
    }

    /// <summary>Loads the pack (checking every file's SHA-256) and opens its models.</summary>
    public static FacePipeline Open(string packDirectory, PipelineOptions? options = null, Action<string>? log = null) =>
        Open(ModelPack.Load(packDirectory), options, log);

    public static FacePipeline Open(ModelPack pack, PipelineOptions? options = null, Action<string>? log = null)
    {
        options ??= new PipelineOptions();
        if (pack.Manifest.IsLivenessOnly)
            throw new ModelFileException(
                $"The pack '{pack.Manifest.Name}' holds only a liveness model; it checks faces that another pack finds " +
                "(facemesh eval liveness --pack). Use a detection pack here, such as 'default'.");
        return new(options.OnlyEmbedder is { } only ? pack.WithOnlyEmbedder(only) : pack, options, log);
    }

    public ModelPack Pack { get; }
    public PipelineOptions Options { get; }
    public FaceFinder Finder { get; }
    public FaceEmbedder Embedder { get; }
    public VerificationThresholds Thresholds { get; }
    public string ModelId => Embedder.ModelId;

    /// <summary>Whether embeddings are made with flip augmentation: the options' choice, else the pack's.</summary>
    public bool Flip => Options.FlipAugmentation ?? Pack.Manifest.FlipAugmentation;

    /// <inheritdoc cref="FaceFinder.Detect"/>
    public IReadOnlyList<Face> Detect(RgbImage image, bool? multiScale = null, float? scoreThreshold = null) =>
        Finder.Detect(image, multiScale, scoreThreshold);

    /// <inheritdoc cref="FaceFinder.DetectBoxes"/>
    public IReadOnlyList<DetectedFace> DetectBoxes(RgbImage image, bool? multiScale = null, float? scoreThreshold = null) =>
        Finder.DetectBoxes(image, multiScale, scoreThreshold);

    /// <inheritdoc cref="FaceFinder.FindPrimary"/>
    public Face? FindPrimary(RgbImage image) => Finder.FindPrimary(image);

    public float[][] Embed(IReadOnlyList<Face> faces) =>
        Embedder.EmbedFaces(faces.Select(f => f.AlignedCrops).ToArray(), Flip);

    public float[] Embed(Face face) => Embed([face])[0];

    public void Dispose()
    {
        Finder.Dispose();
        Embedder.Dispose();
    }
}
