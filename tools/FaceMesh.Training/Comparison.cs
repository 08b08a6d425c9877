using FaceMesh.Evaluation;

namespace FaceMesh.Training;

/// <summary>
/// <c>facemesh-train --compare OUT.png RUN_DIR...</c>: finished runs side by side, from their metrics.json: a
/// markdown table (held-out 10-fold accuracy and TAR at FAR 1e-2 at the last epoch, the best epoch, training
/// minutes) and one picture of every run's held-out accuracy per epoch.
/// </summary>
public static class Comparison
{
    public sealed record Run(string Name, string Backbone, string Initialisation, string Loss, int Epochs, double TrainingMinutes,
        double Accuracy, double AccuracyStd, double TarAtFar1e2, double BestAccuracy, int BestEpoch, double[] AccuracyPerEpoch);

    public static Run Read(string runDirectory)
    {
        var file = Path.Combine(runDirectory, "metrics.json");
        if (!File.Exists(file))
            throw new FileNotFoundException($"{file} does not exist: is '{runDirectory}' the output folder of a finished run?");
        var (config, epochs) = RunMetrics.Read(file);
        if (epochs.Count == 0 || epochs.Any(e => e.HeldOutAccuracy is null))
            throw new InvalidDataException($"{file} has no held-out accuracy for every epoch (was the run given evalPairs?).");
        var accuracy = epochs.Select(e => e.HeldOutAccuracy!.Value).ToArray();
        int best = Array.IndexOf(accuracy, accuracy.Max());
        return new Run(Path.GetFileName(Path.GetFullPath(runDirectory)), config.Backbone, config.Pretrained.Length == 0 ? "scratch" : config.Pretrained,
            config.Loss, epochs.Count, epochs.Sum(e => e.Seconds) / 60, accuracy[^1], epochs[^1].HeldOutAccuracyStd ?? double.NaN,
            epochs[^1].TarAtFar1e2 ?? double.NaN, accuracy[best], best + 1, accuracy);
    }

    public static IReadOnlyList<string> Table(IReadOnlyList<Run> runs) =>
    [
        "| run | backbone | initialisation | loss | epochs | training time | held-out accuracy (10-fold) | TAR @ FAR 1e-2 | best epoch |",
        "|---|---|---|---|---|---|---|---|---|",
        .. runs.Select(r => $"| {r.Name} | {r.Backbone} | {r.Initialisation} | {r.Loss} | {r.Epochs} | {r.TrainingMinutes:F1} min | " +
                            $"{r.Accuracy:P2} ± {r.AccuracyStd:P2} | {r.TarAtFar1e2:P1} | {r.BestAccuracy:P2} (epoch {r.BestEpoch}) |"),
    ];

    public static void Plot(string path, IReadOnlyList<Run> runs) =>
        Plots.Lines(path, "Held-out 10-fold accuracy per epoch", "epoch", "accuracy",
            runs.Select(r => ($"{r.Initialisation} {r.Loss}", Enumerable.Range(1, r.Epochs).Select(e => (double)e).ToArray(), r.AccuracyPerEpoch)),
            0.5, 1.0);
}
