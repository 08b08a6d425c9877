using FaceMesh.Evaluation;
using FaceMesh.ModelPacks;
using FaceMesh.Training.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace FaceMesh.Training.Export;

/// <summary>
/// Writes a trained backbone as a model pack the Embedder (and every FaceMesh tool) serves unchanged: the
/// base pack's detector and landmark model (the crops were aligned with them), the exported embedder
/// (<see cref="OnnxExporter"/>) as a trained file with its SHA-256, the preprocessing the trainer used, a new
/// model id (a gallery of another model refuses its embeddings), and thresholds calibrated on the held-out
/// identities' crops (every cross-identity pair).
/// </summary>
public static class ModelPackWriter
{
    public const string EmbedderFile = "embedder.onnx";

    public static ModelPack Write(Trainer trainer, TrainingConfig config, string basePackDirectory, string outputDirectory, string modelId)
    {
        var basePack = ModelPack.Load(basePackDirectory);
        Directory.CreateDirectory(outputDirectory);
        foreach (var name in basePack.Manifest.Files.Select(f => f.Name).Concat(basePack.Manifest.Derived.Select(d => d.Name)))
            File.Copy(basePack.PathOf(name), Path.Combine(outputDirectory, name), overwrite: true);

        var onnx = Path.Combine(outputDirectory, EmbedderFile);
        OnnxExporter.Save(OnnxExporter.Export(trainer.Backbone, config.EmbeddingSize,
            new Dictionary<string, string> { ["facemesh.model_id"] = modelId, ["facemesh.training_config"] = config.ToJson() }), onnx);

        // Calibration on people the model never saw in training.
        var data = new FaceFolder(config.Data, config.HeldOutIdentities);
        var held = data.HeldOutIdentities.Select(data.CropsOf).Where(files => files.Count > 0).ToArray();
        var embeddings = trainer.Embed(held.SelectMany(f => f).ToArray());
        int next = 0;
        var byIdentity = held.Select(files => (IReadOnlyList<float[]>)embeddings.Skip((next += files.Count) - files.Count).Take(files.Count).ToArray()).ToArray();
        var calibration = ThresholdCalibration.Calibrate(byIdentity, $"{data.HeldOutIdentities.Count} held-out identities of {config.Data}");

        var manifest = basePack.Manifest with
        {
            Name = Path.GetFileName(Path.GetFullPath(outputDirectory)),
            Description = $"Embedder trained by facemesh train ({config.Backbone} + {config.Loss}, {config.Epochs} epochs); detector and landmarks of '{basePack.Manifest.Name}'.",
            Provenance = $"Embedder weights: facemesh train on {config.Data} (output {config.Output}, seed {config.Seed}). Detector and landmarks: {basePack.Manifest.Provenance}",
            Trained = [new TrainedFile(EmbedderFile, $"facemesh train {config.Output}", Sha256File.Compute(onnx))],
            // The crops the model was trained on are ArcFace-aligned 112×112 (facemesh align), whatever the base pack's embedders take.
            Embedder = new EmbedderSpec
            {
                ModelId = modelId,
                File = EmbedderFile,
                InputSize = 112,
                EmbeddingSize = config.EmbeddingSize,
                Normalization = new Normalization(Batches.Mean, Batches.Std, ChannelOrder.Rgb, "NCHW"),
                AlignmentReference = EmbedderSpec.ArcFaceReference112,
            },
            Embedders = null,
            Fusion = null,
            Thresholds = calibration.Table,
        };
        ModelPack.WriteManifest(outputDirectory, manifest);
        return ModelPack.Load(outputDirectory);
    }
}
