using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace FaceMesh.Training;

/// <summary>
/// One experiment, read from a JSON file (<c>facemesh train CONFIG.json</c>); every field has a default.
/// Unknown fields are refused, so a misspelled setting is an error, not a silent default.
/// </summary>
public sealed record TrainingConfig
{
    /// <summary>Aligned crops, one folder per identity (made by <c>facemesh align</c>).</summary>
    public string Data { get; init; } = "";
    /// <summary>Identities held out of training (the last ones in name order); 0 trains on all.</summary>
    public int HeldOutIdentities { get; init; }
    /// <summary>
    /// An LFW-format pairs file over held-out identities for the per-epoch evaluation (names as in <see cref="Data"/>);
    /// when it does not exist, the trainer writes one over its held-out identities (10 identity-disjoint folds).
    /// </summary>
    public string? EvalPairs { get; init; }
    /// <summary>
    /// Subjects whose crops are left out of training, for data whose folders are classes, not people (liveness crops,
    /// <c>facemesh liveness-crops</c>: <c>live/</c> and <c>attack/</c>, each crop named <c>SUBJECT_FRAME.png</c>): the
    /// trained model is measured on them, so it is split by subject, never by frame.
    /// </summary>
    public string[] HeldOutSubjects { get; init; } = [];
    /// <summary>Subjects left out of training too, on whose crops a liveness pack's threshold is chosen (least ACER).</summary>
    public string[] CalibrationSubjects { get; init; } = [];
    /// <summary>Where checkpoints, metrics.json and curves.png go.</summary>
    public string Output { get; init; } = "artifacts/train/run";

    /// <summary>iresnet18, iresnet34, iresnet50, mobilefacenet or resnet18 (ImageNet layout).</summary>
    public string Backbone { get; init; } = "iresnet18";
    public int EmbeddingSize { get; init; } = 512;
    public double Dropout { get; init; }
    /// <summary>
    /// Start from ImageNet weights (backbone resnet18 only): "imagenet" for the ResNet-18 of the NuGet package
    /// Microsoft.ML.DnnImageFeaturizer.ResNet18 (restored with the trainer), or the path of that ONNX file.
    /// </summary>
    public string Pretrained { get; init; } = "";

    /// <summary>softmax, cosface, arcface, combined or triplet.</summary>
    public string Loss { get; init; } = "arcface";
    public double Scale { get; init; } = 64;
    public double Margin { get; init; } = 0.5;
    /// <summary>The combined margin's (m1, m2, m3).</summary>
    public double[] CombinedMargins { get; init; } = [1, 0.3, 0.2];
    public double TripletMargin { get; init; } = 0.2;

    /// <summary>sgd (with momentum) or adamw.</summary>
    public string Optimizer { get; init; } = "sgd";
    public double LearningRate { get; init; } = 0.1;
    public double Momentum { get; init; } = 0.9;
    public double WeightDecay { get; init; } = 5e-4;
    public double WarmupEpochs { get; init; } = 1;
    /// <summary>cosine or step.</summary>
    public string Schedule { get; init; } = "cosine";
    public int[] StepEpochs { get; init; } = [];
    public double StepGamma { get; init; } = 0.1;
    /// <summary>Gradients are clipped to this global L2 norm; 0 turns clipping off.</summary>
    public double ClipGradNorm { get; init; } = 5;

    public int Epochs { get; init; } = 10;
    public int BatchSize { get; init; } = 32;
    /// <summary>For the triplet loss: P identities × K crops per batch.</summary>
    public int P { get; init; } = 8;
    public int K { get; init; } = 4;
    /// <summary>Stops after this many optimisation steps in total (0: no limit), for quick runs and tests.</summary>
    public int MaxSteps { get; init; }
    public int Seed { get; init; } = 1;
    public AugmentationConfig Augmentation { get; init; } = new();

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        WriteIndented = true,
    };

    /// <summary>
    /// Reads an experiment. A file may name a <c>"base"</c> file (relative to itself) whose settings it starts from:
    /// its own settings replace the base's, objects (such as <c>augmentation</c>) merged field by field, so experiments
    /// that differ in a loss or an initialisation say only that.
    /// </summary>
    public static TrainingConfig Load(string path)
    {
        try
        {
            return Merged(path, []).Deserialize<TrainingConfig>(Json) ?? throw new InvalidDataException($"{path} is empty.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: {e.Message} (see tools/FaceMesh.Training/TrainingConfig.cs for the fields).", e);
        }
    }

    private static JsonObject Merged(string path, List<string> chain)
    {
        string full = Path.GetFullPath(path);
        if (chain.Contains(full))
            throw new InvalidDataException($"{path}: its \"base\" files name each other ({string.Join(" → ", chain.Append(full))}).");
        chain.Add(full);
        var options = new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };
        var node = JsonNode.Parse(File.ReadAllText(full), documentOptions: options) as JsonObject
            ?? throw new InvalidDataException($"{path}: an experiment is a JSON object.");
        if (!node.TryGetPropertyValue("base", out var basePath))
            return node;
        node.Remove("base");
        string file = basePath?.GetValue<string>() ?? throw new InvalidDataException($"{path}: \"base\" names no file.");
        var merged = Merged(Path.Combine(Path.GetDirectoryName(full)!, file), chain);
        Overlay(merged, node);
        return merged;
    }

    private static void Overlay(JsonObject target, JsonObject settings)
    {
        foreach (var (name, value) in settings.ToArray())
        {
            if (value is JsonObject inner && target[name] is JsonObject existing)
                Overlay(existing, inner);
            else
                target[name] = value?.DeepClone();
        }
    }

    public string ToJson() => JsonSerializer.Serialize(this, Json);
}

/// <summary>Training-time augmentation of aligned crops, each with its probability or strength.</summary>
public sealed record AugmentationConfig
{
    public bool Enabled { get; init; } = true;
    public double Flip { get; init; } = 0.5;
    /// <summary>Random resized crop: area kept between this and 1, then resized back.</summary>
    public double CropScale { get; init; } = 0.9;
    /// <summary>Brightness, contrast and saturation jitter, each ±this.</summary>
    public double ColourJitter { get; init; } = 0.2;
    public double Greyscale { get; init; } = 0.1;
    public double Blur { get; init; } = 0.1;
    /// <summary>Exposure: the crop's gamma drawn from [1/(1 + this), 1 + this] (0: off).</summary>
    public double Exposure { get; init; }
    /// <summary>The probability of re-encoding the crop as a JPEG of a quality between <see cref="JpegQuality"/>'s two
    /// values (compression that a camera or an upload adds, and that a print's texture must survive).</summary>
    public double Jpeg { get; init; }
    public int[] JpegQuality { get; init; } = [30, 95];
}
