using System.ComponentModel;
using System.Text.Json;
using FaceMesh.Evaluation;
using Spectre.Console;
using Spectre.Console.Cli;

namespace FaceMesh.Cli.Commands;

/// <summary>
/// <c>facemesh eval detect --root DIR --gt FILE</c>: average precision at IoU 0.5 on WIDER-format
/// ground truth, over all faces and by face height (&lt; 32 px, 32 to 96, &gt; 96); invalid faces ignored.
/// </summary>
public sealed class EvalDetectCommand : Command<EvalDetectCommand.Settings>
{
    public sealed class Settings : PipelineSettings
    {
        [CommandOption("--root <DIR>")]
        [Description("Folder the ground truth's image paths are relative to (WIDER: .../images).")]
        public string Root { get; init; } = "";

        [CommandOption("--gt <FILE>")]
        [Description("Ground truth in WIDER FACE format (wider_face_val_bbx_gt.txt).")]
        public string GroundTruth { get; init; } = "";

        [CommandOption("--json <OUT>")]
        public string? Json { get; init; }

        [CommandOption("--plot <OUT_PNG>")]
        [Description("Write precision-recall curves per size as a PNG.")]
        public string? Plot { get; init; }

        public override ValidationResult Validate() =>
            Root.Length == 0 || GroundTruth.Length == 0 ? ValidationResult.Error("--root and --gt are required.") : ValidationResult.Success();
    }

    /// <summary>Scores below the pack's threshold still count for a precision-recall curve.</summary>
    private const float EvaluationScoreThreshold = 0.1f;

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        var truth = WiderGroundTruth.Read(settings.GroundTruth);
        using var pipeline = settings.OpenPipeline();
        float threshold = settings.ScoreThreshold ?? EvaluationScoreThreshold;
        DetectionAveragePrecision.Result[] results = [];
        ConsoleProgress.Run($"detecting in {truth.Count} photos", truth.Count, tick =>
            results = DetectionAveragePrecision.Evaluate(pipeline, truth, settings.Root, threshold, workers: settings.Workers, tick: tick));

        var table = new Table().AddColumns("faces", "height", "labelled", "AP @ IoU 0.5");
        foreach (var r in results)
            table.AddRow(r.Range.Name, r.Range.MaxHeight < float.PositiveInfinity ? $"{r.Range.MinHeight:0}–{r.Range.MaxHeight:0} px" : $"≥ {r.Range.MinHeight:0} px",
                         r.Faces.ToString(), $"{r.AveragePrecision:F4}");
        string mode = settings.MultiScale ? $"crowd mode, {settings.CrowdStrategy}" : "single pass";
        var kind = pipeline.Finder.DetectorSpec.Kind;
        AnsiConsole.MarkupLine($"detector [bold]{kind}[/] ({mode}), {truth.Count} photos");
        AnsiConsole.Write(table);

        if (settings.Json is not null)
            File.WriteAllText(settings.Json, JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["ap"] = results[0].AveragePrecision,
                ["ap_small"] = results[1].AveragePrecision,
                ["ap_medium"] = results[2].AveragePrecision,
                ["ap_large"] = results[3].AveragePrecision,
                ["images"] = truth.Count,
                ["faces"] = results.ToDictionary(r => r.Range.Name, r => r.Faces),
                ["multi_scale"] = settings.MultiScale,
                ["crowd_strategy"] = settings.MultiScale ? settings.CrowdStrategy : null!,
                ["detector"] = settings.Detector,
                ["detector_kind"] = kind.ToString(),
                ["pack"] = pipeline.Pack.Manifest.Name,
            }, new JsonSerializerOptions { WriteIndented = true }) + "\n");
        if (settings.Plot is not null)
            Plots.PrecisionRecall(settings.Plot, results.Select(r => ($"{r.Range.Name}: AP {r.AveragePrecision:F3}", r.Recall, r.Precision)),
                                  $"Detection, {pipeline.Pack.Manifest.Name} pack ({mode})");
        return 0;
    }
}
