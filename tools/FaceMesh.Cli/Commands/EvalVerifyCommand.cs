using System.ComponentModel;
using System.Text.Json;
using FaceMesh.Evaluation;
using Spectre.Console;
using Spectre.Console.Cli;

namespace FaceMesh.Cli.Commands;

/// <summary>
/// <c>facemesh eval verify --root DIR --pairs FILE</c>: the LFW View-2 protocol on any folder in LFW
/// layout: 10-fold accuracy (threshold chosen on 9 folds, measured on the 10th), pooled TAR at FAR
/// 1e-2, 1e-3, 1e-4, EER, and a ROC curve.
/// </summary>
public sealed class EvalVerifyCommand : Command<EvalVerifyCommand.Settings>
{
    public sealed class Settings : PipelineSettings
    {
        [CommandOption("--root <DIR>")]
        [Description("Folder in LFW layout: ROOT/name/name_NNNN.jpg.")]
        public string Root { get; init; } = "";

        [CommandOption("--pairs <FILE>")]
        [Description("pairs.txt in LFW View-2 format.")]
        public string Pairs { get; init; } = "";

        [CommandOption("--json <OUT>")]
        [Description("Write the result as JSON (fractions, not percent).")]
        public string? Json { get; init; }

        [CommandOption("--plot <OUT_PNG>")]
        [Description("Write the ROC curve as a PNG.")]
        public string? Plot { get; init; }

        [CommandOption("--det <OUT_PNG>")]
        [Description("Write the DET curve (false non-match against false match rate, log axes) as a PNG.")]
        public string? Det { get; init; }

        [CommandOption("--errors <DIR>")]
        [Description("Draw the wrongly answered pairs (at the mean 10-fold threshold), worst first, as PNGs in DIR.")]
        public string? Errors { get; init; }

        public override ValidationResult Validate() =>
            Root.Length == 0 || Pairs.Length == 0 ? ValidationResult.Error("--root and --pairs are required.") : ValidationResult.Success();
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        var pairs = LfwPairs.Read(settings.Pairs, settings.Root);
        var photos = pairs.SelectMany(p => new[] { p.First, p.Second }).Distinct().ToArray();
        using var pipeline = settings.OpenPipeline();
        PhotoEmbeddings embeddings = null!;
        ConsoleProgress.Run($"embedding {photos.Length} photos", photos.Length,
            tick => embeddings = PhotoEmbeddings.Compute(pipeline, photos, tick, settings.Workers));
        var (report, roc) = VerificationEvaluation.Evaluate(pairs, embeddings, pipeline.ModelId);

        var table = new Table().AddColumns("measure", "value");
        table.AddRow("pairs", report.Pairs.ToString());
        table.AddRow("10-fold accuracy", $"{report.AccuracyMean * 100:F2} ± {report.AccuracyStd * 100:F2} %");
        foreach (var (far, tar) in report.TarAtFar.Reverse())
            table.AddRow($"TAR @ FAR {far}", $"{tar * 100:F2} %");
        table.AddRow("EER", $"{report.Eer * 100:F2} %");
        table.AddRow("photos without a face", report.FailedImages.ToString());
        AnsiConsole.Write(table);
        foreach (var path in report.FailedImagePaths)
            AnsiConsole.MarkupLine($"  [yellow]{Markup.Escape(path)}[/]: {Markup.Escape(embeddings.Failures[path])}");

        if (settings.Json is not null)
            File.WriteAllText(settings.Json, JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true }) + "\n");
        if (settings.Plot is not null)
            Plots.Roc(settings.Plot, [($"{pipeline.ModelId} ({report.AccuracyMean * 100:F2} %)", roc)],
                      $"ROC, {Path.GetFileName(Path.GetFullPath(settings.Root))} ({report.Pairs} pairs)");
        if (settings.Det is not null)
            Plots.Det(settings.Det, [($"{pipeline.ModelId} ({report.AccuracyMean * 100:F2} %)", roc)],
                      $"DET, {Path.GetFileName(Path.GetFullPath(settings.Root))} ({report.Pairs} pairs)");
        if (settings.Errors is not null)
            PairErrors.Draw(pipeline, pairs, embeddings, report.FoldThresholds.Average(), settings.Errors);
        return 0;
    }
}
