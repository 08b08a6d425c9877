using System.Text.Json;

namespace FaceMesh.ModelPacks;

/// <summary>
/// A model pack on disk: a folder with <c>manifest.json</c> and the model files it names, every file
/// checked against its SHA-256 when the pack is loaded.
/// </summary>
public sealed class ModelPack
{
    public const string ManifestFileName = "manifest.json";

    private ModelPack(string directory, ModelPackManifest manifest)
    {
        Directory = directory;
        Manifest = manifest;
    }

    public string Directory { get; }
    public ModelPackManifest Manifest { get; }
    public string ManifestPath => Path.Combine(Directory, ManifestFileName);

    public string PathOf(string fileName) => Path.Combine(Directory, fileName);

    /// <summary>Reads the manifest of the pack in <paramref name="directory"/> and verifies every file's SHA-256.</summary>
    public static ModelPack Load(string directory, bool verifyFiles = true)
    {
        var pack = new ModelPack(Path.GetFullPath(directory), ReadManifest(directory));
        if (verifyFiles)
            pack.Verify();
        return pack;
    }

    public static ModelPackManifest ReadManifest(string directory)
    {
        var path = Path.Combine(directory, ManifestFileName);
        if (!File.Exists(path))
            throw new ModelFileException($"No model pack at '{directory}': '{ManifestFileName}' is missing.");
        try
        {
            var manifest = JsonSerializer.Deserialize<ModelPackManifest>(File.ReadAllText(path), ModelPackManifest.Json)
                ?? throw new ModelFileException($"The model pack manifest '{path}' is empty.");
            manifest.Validate(path);
            return manifest;
        }
        catch (JsonException e)
        {
            throw new ModelFileException($"The model pack manifest '{path}' is not valid: {e.Message}");
        }
    }

    public void Verify()
    {
        foreach (var file in Manifest.Files)
            Sha256File.Verify(PathOf(file.Name), file.Sha256);
        foreach (var file in Manifest.Derived)
            Sha256File.Verify(PathOf(file.Name), file.Sha256);
        foreach (var file in Manifest.Trained)
            Sha256File.Verify(PathOf(file.Name), file.Sha256);
    }

    /// <summary>
    /// The pack as if it held only the embedder <paramref name="modelId"/> (in memory; for measuring one model of a
    /// fused pack alone). Its thresholds were calibrated for the fused embedding, so it has none.
    /// </summary>
    public ModelPack WithOnlyEmbedder(string modelId)
    {
        var spec = Manifest.EmbeddingModels.FirstOrDefault(e => e.ModelId == modelId)
            ?? throw new ModelFileException($"Pack '{Manifest.Name}' has no embedder '{modelId}'; it has {string.Join(", ", Manifest.EmbeddingModels.Select(e => e.ModelId))}.");
        return new ModelPack(Directory, Manifest with { Embedder = spec with { Weight = 1 }, Embedders = null, Fusion = null, Thresholds = new ThresholdTable() });
    }

    /// <summary>Replaces a fused pack's embedder weights in the manifest on disk, with how they were chosen.</summary>
    public ModelPack WithFusionWeights(IReadOnlyList<float> weights, string chosenOn)
    {
        var models = Manifest.Embedders ?? throw new ModelFileException($"Pack '{Manifest.Name}' has one embedder; it has no fusion weights.");
        if (weights.Count != models.Count)
            throw new ArgumentException($"{weights.Count} weights for {models.Count} embedders.");
        var manifest = Manifest with
        {
            Embedders = models.Select((m, i) => m with { Weight = weights[i] }).ToArray(),
            Fusion = (Manifest.Fusion ?? new FusionSpec()) with { WeightsChosenOn = chosenOn },
        };
        return Rewritten(manifest);
    }

    /// <summary>Records what a liveness pack's model measured at its threshold, in the manifest on disk (eval liveness --record).</summary>
    public ModelPack WithLivenessMeasured(LivenessMeasurement measured) =>
        Rewritten(Manifest with
        {
            Liveness = (Manifest.Liveness ?? throw new ModelFileException($"Pack '{Manifest.Name}' has no liveness model.")) with
            {
                Measured = measured,
            },
        });

    /// <summary>Writes a manifest into a pack folder: a pack a trainer made, or this one changed.</summary>
    public static void WriteManifest(string directory, ModelPackManifest manifest) =>
        File.WriteAllText(Path.Combine(directory, ManifestFileName), JsonSerializer.Serialize(manifest, ModelPackManifest.Json) + "\n");

    private ModelPack Rewritten(ModelPackManifest manifest)
    {
        WriteManifest(Directory, manifest);
        return new ModelPack(Directory, manifest);
    }

    /// <summary>Replaces the thresholds in the manifest on disk (used by calibration).</summary>
    public ModelPack WithThresholds(ThresholdTable thresholds)
    {
        var manifest = Manifest with { Thresholds = thresholds };
        return Rewritten(manifest);
    }
}
