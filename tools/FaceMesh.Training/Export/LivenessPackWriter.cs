using FaceMesh.Pipeline.Liveness;
using FaceMesh.Evaluation;
using FaceMesh.ModelPacks;
using FaceMesh.Training.Data;
using FaceMesh.Training.Heads;

namespace FaceMesh.Training.Export;

/// <summary>
/// Writes a trained live/attack classifier as a liveness pack (a pack with only a <c>liveness</c> section): the backbone
/// and softmax head exported as one ONNX file (<see cref="OnnxExporter.ExportClassifier"/>) with its SHA-256, the crop
/// it was trained on (the context margin that <c>facemesh liveness-crops</c> recorded in <c>crops.json</c>), and the
/// threshold of least ACER on the calibration subjects, who were left out of training. The figures on the held-out
/// subjects are measured afterwards, on the photos, by <c>facemesh eval liveness --record</c>.
/// </summary>
public static class LivenessPackWriter
{
    public const string ModelFile = "liveness.onnx";
    private const string Live = LivenessCrops.Live, Attack = LivenessCrops.Attack;

    public sealed record Calibration(double Threshold, double Apcer, double Bpcer, int Live, int Attack);

    public static (ModelPack Pack, Calibration Calibration) Write(Trainer trainer, TrainingConfig config, string outputDirectory,
        string modelId)
    {
        if (trainer.Head is not SoftmaxHead head)
            throw new ArgumentException(
                $"A liveness pack is a two-class classifier: train it with \"loss\": \"softmax\", not {config.Loss}.");
        var data = new FaceFolder(config.Data, 0);
        if (!data.TrainIdentities.SequenceEqual([Attack, Live]))
            throw new ArgumentException($"A liveness pack is trained on the folders '{Attack}' and '{Live}' (facemesh liveness-crops); " +
                                        $"'{config.Data}' has {string.Join(", ", data.TrainIdentities)}.");
        if (config.CalibrationSubjects.Length == 0)
            throw new ArgumentException(
                "Name the subjects the threshold is chosen on (\"calibrationSubjects\"); they are left out of training.");
        var crops = LivenessCrops.ReadFrom(config.Data);
        int liveIndex = data.TrainIdentities.ToList().IndexOf(Live);

        // The threshold: least ACER on subjects the model never saw.
        double[] LiveScores(string folder) =>
            trainer.Classify(data.CropsOf(folder, config.CalibrationSubjects)).Select(p => (double)p[liveIndex]).ToArray();
        var (live, attack) = (LiveScores(Live), LiveScores(Attack));
        if (live.Length == 0 || attack.Length == 0)
            throw new ArgumentException(
                $"The calibration subjects ({string.Join(", ", config.CalibrationSubjects)}) have " +
                $"{live.Length} live and {attack.Length} attack crops in '{config.Data}'; each needs at least one.");
        double threshold = LivenessMetrics.ThresholdOfLeastAcer(live, attack);
        var calibration = new Calibration(threshold, LivenessMetrics.Apcer(attack, threshold), LivenessMetrics.Bpcer(live, threshold),
            live.Length, attack.Length);

        Directory.CreateDirectory(outputDirectory);
        var onnx = Path.Combine(outputDirectory, ModelFile);
        OnnxExporter.Save(OnnxExporter.ExportClassifier(trainer.Backbone, head,
            new Dictionary<string, string> { ["facemesh.model_id"] = modelId, ["facemesh.training_config"] = config.ToJson() }), onnx);
        string subjects(string[] list) => string.Join(", ", list);
        var manifest = new ModelPackManifest
        {
            Name = Path.GetFileName(Path.GetFullPath(outputDirectory)),
            Description = $"Liveness trained by facemesh train ({config.Backbone}, {config.Epochs} epochs) on face crops with " +
                          $"context margin {crops.Margin}: a demonstration of the recipe (tools/bench/liveness), not a shipped model.",
            License = "The weights inherit the terms of the photos they were trained on (" + crops.Real + ", " + crops.Spoof +
                      "); for pad-dev (NUAA) that is research use only. " + (config.Pretrained.Length > 0
                          ? "Initialised from the ImageNet ResNet-18 of Microsoft.ML.DnnImageFeaturizer.ResNet18 0.23.1 (MIT)."
                          : "Trained from scratch."),
            Provenance = $"facemesh train {config.Output} (seed {config.Seed}) on the crops in {config.Data}, made by " +
                         $"facemesh liveness-crops (detector pack {crops.DetectorPack}) from {crops.Real} and {crops.Spoof}. " +
                         $"Left out of training: the calibration subjects {subjects(config.CalibrationSubjects)} " +
                         $"(threshold of least ACER on their {live.Length} live and " +
                         $"{attack.Length} attack crops: APCER {calibration.Apcer:P1}, BPCER {calibration.Bpcer:P1}) and the held-out " +
                         $"subjects {subjects(config.HeldOutSubjects)}.",
            Files = [],
            Trained = [new TrainedFile(ModelFile, $"facemesh train {config.Output}", Sha256File.Compute(onnx))],
            Liveness = new LivenessSpec
            {
                ModelId = modelId,
                File = ModelFile,
                InputSize = crops.Size,
                Normalization = new Normalization(Batches.Mean, Batches.Std, ChannelOrder.Rgb, "NCHW"),
                LiveIndex = liveIndex,
                ContextMargin = crops.Margin,
                Threshold = (float)threshold,
            },
        };
        ModelPack.WriteManifest(outputDirectory, manifest);
        return (ModelPack.Load(outputDirectory), calibration);
    }
}
